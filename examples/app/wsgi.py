"""Module-level WSGI callable for servers that want ``module:callable`` (``wsgi:app``)."""
from sample import create_app

app = create_app()
