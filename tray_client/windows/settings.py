"""The "Settings…" window: server address, username, password, "Test connection", "Log in", Save.

"Ask before calling a link" (on by default) makes a clicked ``tel:`` or
``callto:`` link ask "Call … with your desk phone?" first (tray_client.dial).
The address, username and that choice go to the config file, the password
to the system keyring (never to the file).

"Test connection" asks ``accounts.whoami`` with what is typed, saved or not,
and says who you are and your extension, or why it failed, in plain words.
An address typed without ``https://`` or ``http://`` is tried with https,
then with http: a server that answers over http only is said so, and used.
"Save" tests the same way first: a username or password the server refuses,
or an address that is no Astitray server, is not saved (so that the tray
never logs in again and again with it); a server that cannot be reached
right now does not stop the saving. Saving tells the tray (``{"saved":
true}``), which reads the settings again. Enter in a text field saves;
Enter on "Test connection" tests.

"Log in" keeps a token instead of the password: it tests as Save does, asks
the server for an API token with the password (``accounts.create_token``,
labelled with this computer's name), keeps only the token in the keyring
(the password's entry is removed) and revokes the token a previous "Log in"
made. The tray then sends the token (``Authorization: Bearer``); a revoked
token is refused as a wrong password is, with no more attempts. While a
token is kept, the password field stays empty: Test connection and Save
use the token as long as the address and username stay the same.

This module is the window's logic, whatever draws it (``windows/gtk/``, ``windows/tk/``).

    python -m tray_client.windows.settings   (started by the tray)
"""

from __future__ import annotations

import logging
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from tray_client import api, config
from tray_client.i18n import _
from tray_client.messages import describe
from tray_client.windows.host import Host, send

logger = logging.getLogger(__name__)

ClientFactory = Callable[[api.Credentials, float], api.ApiClient]


def title() -> str:
    return _("Settings — Astitray")


def connection_report(who: api.WhoAmI) -> str:
    """What "Test connection" says when the server accepted us."""
    name = who.full_name or who.username
    if who.extension and who.can_dial:
        return _("Connected: you are %(name)s (%(username)s), extension %(extension)s.") % {
            "name": name,
            "username": who.username,
            "extension": who.extension,
        }
    return _(
        "Connected: you are %(name)s (%(username)s), but you have no phone set up for dialing. "
        "Ask your administrator."
    ) % {
        "name": name,
        "username": who.username,
    }


def read_settings(
    url: str, username: str, current: config.Settings, confirm_links: bool, incoming_url: str | None = None
) -> config.Settings:
    """The settings for what was typed (``incoming_url`` None: unchanged). Raises ``config.SettingsError``."""
    return replace(
        current,
        server_url=config.normalize_server_url(url),
        username=config.check_username(username),
        confirm_links=confirm_links,
        incoming_url=current.incoming_url
        if incoming_url is None
        else config.check_incoming_url(incoming_url),
    )


def incoming_url_hint() -> str:
    """What the field of the address for incoming calls says under it."""
    return _(
        "Optional, for a CRM: opened in the browser for each incoming call, with {e164} (the number in "
        "international form), {number} (as the phone system gave it) and {name} replaced."
    )


def read_form(
    url: str, username: str, password: str, current: config.Settings, confirm_links: bool = True
) -> tuple[config.Settings, str]:
    """The settings and password for what was typed. Raises ``config.SettingsError``."""
    return read_settings(url, username, current, confirm_links), config.check_password(password)


def keyring_note(keyring_name: str, token: bool) -> str:
    """What the window says of where the password, or the token, is kept."""
    if token:
        return _(
            "Logged in: only a token is kept in the system keyring (%(keyring)s), not your password. "
            "Type the password only to log in again."
        ) % {"keyring": keyring_name}
    return _(
        "Save keeps the password in the system keyring (%(keyring)s), never in a file; "
        "Log in keeps only a token there, which you can revoke, and not the password."
    ) % {"keyring": keyring_name}


def token_label() -> str:
    """The new token's label on the server: what it is for, in the user's list of tokens."""
    host = "".join(char for char in socket.gethostname() if char.isprintable()).strip()
    return f"Astitray tray on {host}"[:100] if host else "Astitray tray"


def url_warning(url: str) -> str:
    """The warning under the address field: plain http to another machine ("" otherwise)."""
    try:
        normalized = config.normalize_server_url(url)
    except config.SettingsError:
        return ""
    if "://" not in url:
        return ""  # tried with https first
    if config.is_insecure(normalized):
        return _(
            "This address is not encrypted (http://): your password would cross the network "
            "readable. Use https:// if you can."
        )
    return ""


@dataclass(frozen=True)
class Tested:
    """An address that answered as Astitray with these credentials."""

    url: str
    who: api.WhoAmI
    http_only: bool  # typed without a scheme, and only http answered


class HttpOnly(config.SettingsError):
    """The server answers over plain http only, and is another machine: the password is not sent unasked."""


# How long the https attempt of an address typed without a scheme may take before http is tried (a
# plain-http server may never answer a TLS handshake).
HTTPS_PROBE_S = 3.0


def try_connection(  # noqa: PLR0917 (the form's fields)
    typed_url: str,
    username: str,
    password: str,
    timeout_s: float,
    client: ClientFactory = api.ApiClient,
    token: str = "",
) -> Tested:
    """Ask ``accounts.whoami`` at the address typed, as :func:`config.server_url_candidates` reads it.

    An address typed without a scheme is tried with https first. When that
    cannot reach an Astitray server, http is asked whether it answers (without
    the credentials): on this machine it is then used; another machine's is
    refused with :class:`HttpOnly` (typing ``http://`` is the user's own
    choice to send the password unencrypted). A certificate the system does
    not trust is never a reason to try http. Raises the https attempt's
    :class:`api.ApiError` when http does not answer either, or
    :class:`config.SettingsError`. ``token``: the kept API token, sent instead of the password.
    """
    candidates = config.server_url_candidates(typed_url)
    if len(candidates) == 1:
        return Tested(
            candidates[0],
            client(api.Credentials(candidates[0], username, password, token), timeout_s).whoami(),
            False,
        )
    secure, plain = candidates
    try:
        who = client(
            api.Credentials(secure, username, password, token), min(timeout_s, HTTPS_PROBE_S)
        ).whoami()
    except (api.ServerUnreachable, api.ServerTimeout) as err:
        if (
            getattr(err, "certificate", False)
            or not client(api.Credentials(plain, "", ""), timeout_s).is_astitray()
        ):
            raise
        if config.is_insecure(plain):
            raise HttpOnly(
                _(
                    "This server answers over http only: your password would cross the network readable. "
                    "To use it anyway, type the address with http:// in front."
                )
            ) from err
        return Tested(
            plain, client(api.Credentials(plain, username, password, token), timeout_s).whoami(), True
        )
    return Tested(secure, who, False)


def tested_report(tested: Tested) -> str:
    report = connection_report(tested.who)
    if tested.http_only:
        note = _("This server answers over http only: the address used is %(url)s.") % {"url": tested.url}
        report = f"{note}\n{report}"
    return report


class SettingsView(Protocol):
    def values(self) -> tuple[str, str, str, bool]:
        """What is typed: address, username, password, and "Ask before calling a link"."""

    def incoming_url(self) -> str:
        """What is typed in "Open this address for incoming calls"."""

    def set_result(self, text: str) -> None: ...

    def set_warning(self, text: str) -> None: ...

    def set_url(self, url: str) -> None: ...

    def busy(self, busy: bool) -> None: ...


@dataclass(frozen=True)
class Form:
    """What was typed, checked: the address as typed, the settings, and the password or kept token."""

    url: str
    settings: config.Settings
    password: str
    token: str = ""


class SettingsForm:
    """What the settings window does; ``view`` shows it, ``host`` runs its threads.

    ``token``: the API token the tray keeps (from "Log in"), "" when it keeps a password.
    """

    def __init__(
        self,
        host: Host,
        view: SettingsView,
        current: config.Settings,
        client: ClientFactory = api.ApiClient,
        token: str = "",
    ) -> None:
        self.host = host
        self.view = view
        self.current = current
        self.client = client
        self.token = token
        self.working = False

    def url_changed(self, url: str) -> None:
        self.view.set_warning(url_warning(url))

    def _form(self, log_in: bool = False) -> Form | None:
        """What was typed; an empty password keeps the token while the address and username stay."""
        url, username, password, confirm_links = self.view.values()
        try:
            settings = read_settings(url, username, self.current, confirm_links, self.view.incoming_url())
            if not password and not log_in and self._same_account(settings) and self.token:
                return Form(url, settings, "", self.token)
            return Form(url, settings, config.check_password(password))
        except config.SettingsError as err:
            self.view.set_result(str(err))
            return None

    def _same_account(self, settings: config.Settings) -> bool:
        current = self.current
        return (settings.server_url, settings.username) == (current.server_url, current.username)

    def _try(self, form: Form) -> Tested:
        settings = form.settings
        return try_connection(
            form.url, settings.username, form.password, settings.timeout_s, self.client, form.token
        )

    def test(self) -> None:
        form = None if self.working else self._form()
        if form is None:
            return
        self._start(_("Connecting to %(url)s…") % {"url": form.settings.server_url})
        self.host.in_background(lambda: self._try(form), self._tested)

    def _tested(self, result: Any) -> None:
        logger.info("connection tested: %s", type(result).__name__)
        self._stop()
        if isinstance(result, Tested):
            self._show_url(result)
            self.view.set_result(tested_report(result))
        else:
            self.view.set_result(describe(result, in_settings=True))

    def save(self) -> None:
        """Test, then save unless the server refused (see the module doc)."""
        form = None if self.working else self._form()
        if form is None:
            return
        self._start(_("Checking with the server, then saving…"))
        self.host.in_background(
            lambda: self._test_and_store(form), lambda result: self._saved(result, _("Not saved: %(reason)s"))
        )

    def log_in(self) -> None:
        """Test, make a token with the password, keep only the token (see the module doc)."""
        form = None if self.working else self._form(log_in=True)
        if form is None:
            return
        self._start(_("Logging in…"))
        self.host.in_background(
            lambda: self._log_in(form), lambda result: self._saved(result, _("Not logged in: %(reason)s"))
        )

    def _test_and_store(self, form: Form) -> Tested | None:
        settings = form.settings
        try:
            tested: Tested | None = self._try(form)
        except (api.ServerUnreachable, api.ServerTimeout) as err:
            if getattr(err, "certificate", False):
                raise
            tested = None  # offline now: saved anyway, the tray says when the server answers
        if tested is not None:
            settings = replace(settings, server_url=tested.url)
        if not form.token:  # a password typed: it is kept, and the token a "Log in" made is revoked
            if tested is not None:
                self._revoke_previous(settings, form.password)
            settings = replace(settings, token_id=0)
            config.store_password(settings, form.password)
        config.save(settings)
        return tested

    def _log_in(self, form: Form) -> Tested:
        tested = self._try(form)
        settings = replace(form.settings, server_url=tested.url)
        client = self.client(
            api.Credentials(tested.url, settings.username, form.password), settings.timeout_s
        )
        token_id, token = client.create_token(token_label())
        logger.info("logged in: API token %d made", token_id)
        self._revoke_previous(settings, form.password)
        settings = replace(settings, token_id=token_id)
        config.store_token(settings, token)
        config.save(settings)
        return tested

    def _revoke_previous(self, settings: config.Settings, password: str) -> None:
        """Revoke the token a previous "Log in" made for this account, if any (a failure is only logged)."""
        if not self.current.token_id or not self._same_account(settings):
            return
        credentials = api.Credentials(settings.server_url, settings.username, password)
        try:
            self.client(credentials, settings.timeout_s).revoke_token(self.current.token_id)
        except api.ApiError as err:
            logger.info("the previous API token %d was not revoked: %s", self.current.token_id, err)
        else:
            logger.info("the previous API token %d is revoked", self.current.token_id)

    def _saved(self, result: Any, failed: str) -> None:
        self._stop()
        if isinstance(result, Exception):
            self.view.set_result(failed % {"reason": describe(result, in_settings=True)})
            return
        send({"saved": True})
        self.host.close()

    def _show_url(self, tested: Tested) -> None:
        if tested.http_only:
            self.view.set_url(tested.url)
            self.view.set_warning(url_warning(tested.url))

    def _start(self, text: str) -> None:
        self.working = True
        self.view.set_result(text)
        self.view.busy(True)

    def _stop(self) -> None:
        self.working = False
        self.view.busy(False)


def main() -> int:
    from tray_client.windows import toolkit

    return toolkit.run("settings")


if __name__ == "__main__":
    sys.exit(main())
