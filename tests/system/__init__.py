"""System tests: the app as production runs it, gunicorn servers over PostgreSQL and Redis."""
