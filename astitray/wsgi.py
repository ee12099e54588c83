"""WSGI entry point: ``gunicorn astitray.wsgi`` (see deploy/ and the README)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "astitray.settings")

application = get_wsgi_application()
