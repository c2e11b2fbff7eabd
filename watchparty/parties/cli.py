from flask.cli import AppGroup

parties_group = AppGroup("parties", help="Watch parties: reminders and upkeep.")
