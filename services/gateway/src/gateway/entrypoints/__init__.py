"""How the gateway is started: ``http`` (the WSGI app gunicorn serves)."""
