from flask.cli import AppGroup

films_group = AppGroup("films", help="The film catalogue: import and export.")
