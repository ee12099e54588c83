"""WSGI entry point: ``gunicorn astitray.wsgi`` (see deploy/ and docs/deploying.md)."""

import os

from django.core.checks import run_checks
from django.core.management.base import SystemCheckError
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "astitray.settings")

application = get_wsgi_application()

# The configuration's system checks, as `manage.py` commands run them: a server never starts
# with settings that do not fit together (the error names the variables to fix).
_errors = [
    message for message in run_checks(tags=["config"]) if message.is_serious() and not message.is_silenced()
]
if _errors:
    raise SystemCheckError("\n".join(str(message) for message in _errors))
