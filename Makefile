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
# Debian packages the tests use: a real slapd, a real X server with a window
# manager (openbox), a tray host (trayer), a notification daemon (dunst) and
# GTK for the tray client, what the tray's Debian package depends on (the
# tests build it and install it with apt), Chromium for the admin, nginx and
# Redis for the scale-out test, GNU gettext to update the translations
# (scripts/server-messages, scripts/tray-messages), and the API's clients in other languages
# (curl, Node, Perl's RPC::XML over LWP, Ruby's and PHP's xmlrpc: tests/astitray/test_rpc_other_clients.py).
APT_TEST := slapd ldap-utils \
	curl nodejs librpc-xml-perl libwww-perl ruby ruby-xmlrpc php-cli php-xmlrpc \
	xvfb xauth xclip xdotool trayer openbox dunst imagemagick dbus-x11 desktop-file-utils dpkg-dev \
	gir1.2-gtk-3.0 gir1.2-ayatanaappindicator3-0.1 libgirepository1.0-dev libcairo2-dev \
	python3-gi python3-pystray python3-keyring python3-pil python3-xlib \
	chromium chromium-driver nginx redis-server gettext

.PHONY: run test install install-test migrate lint typecheck pytest bench clean tray-deb extension

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
	@echo "The PBX event listener runs beside it; ring extension 1001 of the console PBX with:"
	@echo "    $(BIN)/python manage.py simulate_call --to 1001 --from '+33 1 42 68 53 00'"
	@echo
	$(BIN)/python manage.py pbx_events & listener=$$!; \
	trap 'kill $$listener 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python -m uvicorn astitray.asgi:application --host $(HOST) --port $(PORT)

# The import contracts of docs/architecture.md run with the linters (and again with the tests).
lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/astitray/test_layers.py

typecheck: install-test
	$(BIN)/mypy .

pytest: install-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test: lint typecheck pytest

# The tray client's Debian package: dist/astitray-tray_<version>-1_all.deb (docs/tray.md). Built by
# Debian's own python3 with Pillow (for the icons) and dpkg-deb: nothing of the server is needed.
APT_DEB := python3 python3-pil dpkg-dev
tray-deb:
	@missing=$$(for p in $(APT_DEB); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		sudo=""; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
		$$sudo apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	/usr/bin/python3 scripts/tray-deb --output dist

# The browser extension as a zip: dist/astitray-extension-<version>.zip (docs/web.md). No bundler, no
# download: browser_extension/ zipped as it is.
extension:
	$(PYTHON) scripts/extension-zip --output dist

clean:
	rm -rf .venv* staticfiles .pytest_cache .mypy_cache .ruff_cache
