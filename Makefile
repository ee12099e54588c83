# Astitray: `make run` serves the app, `make test` runs every test.
# Both install what they need first (Debian packages, a virtualenv) and are
# fast the second time.

PYTHON ?= python3
VENV ?= .venv
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
BIN := $(VENV)/bin

# Debian packages: to build python-ldap and mysqlclient, and to run the server.
APT_SERVER := python3 python3-venv python3-dev gcc pkg-config \
	libldap2-dev libsasl2-dev default-libmysqlclient-dev
# Debian packages the tests use: a real slapd, a real X server with a tray
# host (trayer) and GTK for the tray client, Chromium for the admin, nginx and
# Redis for the scale-out test.
APT_TEST := slapd ldap-utils \
	xvfb xauth xclip xdotool trayer imagemagick dbus-x11 desktop-file-utils \
	gir1.2-gtk-3.0 gir1.2-ayatanaappindicator3-0.1 libgirepository1.0-dev libcairo2-dev \
	chromium chromium-driver nginx redis-server

.PHONY: run test install install-test migrate lint typecheck pytest bench clean

install:
	@scripts/bootstrap $(VENV) $(PYTHON) requirements.txt $(APT_SERVER)

install-test:
	@scripts/bootstrap $(VENV) $(PYTHON) requirements-dev.txt $(APT_SERVER) $(APT_TEST)

migrate: install
	$(BIN)/python manage.py migrate --noinput -v 0
	$(BIN)/python manage.py collectstatic --noinput -v 0

run: migrate
	@echo
	@echo "Astitray serves http://$(HOST):$(PORT)/ (admin: /admin/, API: POST /rpc/)."
	@echo "Create the first admin in another terminal with:"
	@echo "    $(BIN)/python manage.py createsuperuser"
	@echo
	$(BIN)/python manage.py runserver --noreload $(HOST):$(PORT)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install-test
	$(BIN)/mypy .

pytest: install-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test: lint typecheck pytest

clean:
	rm -rf .venv* staticfiles .pytest_cache .mypy_cache .ruff_cache
