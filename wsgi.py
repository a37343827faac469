"""WSGI entry point: ``gunicorn wsgi:app``."""
from lingo import create_app

app = create_app()
