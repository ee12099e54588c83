"""Settings in the XDG config file, the password in the system keyring and never in the file."""

from __future__ import annotations

import json

import keyring
import keyring.backends.fail
import pytest

from testkit.file_keyring import FileKeyring
from tests.tray_client.conftest import PASSWORD, USER
from tray_client import api, config
from tray_client.messages import describe


@pytest.mark.parametrize(
    ("typed", "url"),
    [
        ("astitray.example.org", "https://astitray.example.org/rpc/"),
        ("https://Astitray.Example.org", "https://astitray.example.org/rpc/"),
        ("https://astitray.example.org/", "https://astitray.example.org/rpc/"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000/rpc/"),
        ("https://pbx.example.org/astitray/rpc/", "https://pbx.example.org/astitray/rpc/"),
        ("  https://[::1]:8443  ", "https://[::1]:8443/rpc/"),
    ],
)
def test_it_completes_the_server_address(typed, url):
    assert config.normalize_server_url(typed) == url


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter the server address, for example https://astitray.example.org."),
        ("ftp://example.org", "The server address must start with https:// or http://."),
        (
            "https://alice:pw@example.org",
            "Type the username and password in their own fields, not in the address.",
        ),
        ("https://example.org:99999", "The server address has an invalid port number."),
        ("https://", "The server address has no host name."),
        ("https://example.org/rpc/?x=1", "The server address cannot contain ? or #."),
        ("https://exa mple.org", "The server address is not a valid web address."),
        ("https://example.org/" + "a" * 2001, "The server address is not a valid web address."),
    ],
)
def test_it_refuses_unusable_addresses(typed, message):
    with pytest.raises(config.SettingsError) as caught:
        config.normalize_server_url(typed)
    assert str(caught.value) == message


def test_usernames_and_passwords():
    assert config.check_username("  alice ") == "alice"
    for bad in ("", "a:b", "x" * 151, "al\nice"):
        with pytest.raises(config.SettingsError):
            config.check_username(bad)
    assert config.check_password(" with spaces ") == " with spaces "
    for bad in ("", "a\nb", "x" * 1001):
        with pytest.raises(config.SettingsError):
            config.check_password(bad)


def test_http_to_another_machine_is_insecure():
    assert config.is_insecure("http://astitray.example.org/rpc/")
    assert not config.is_insecure("http://127.0.0.1:8000/rpc/")
    assert not config.is_insecure("https://astitray.example.org/rpc/")


def test_the_file_is_in_the_xdg_config_folder_and_round_trips(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    settings = config.Settings("https://astitray.example.org/rpc/", "alice", timeout_s=5, clipboard_poll_s=0)
    path = config.save(settings)
    assert path == tmp_path / "cfg" / "astitray" / "tray.ini"
    assert config.load() == settings


def test_missing_or_broken_files_give_the_defaults(tmp_path):
    assert config.load(tmp_path / "none.ini") == config.Settings()
    broken = tmp_path / "broken.ini"
    broken.write_bytes(b"\xff\xfe not ini at all [[[")
    assert config.load(broken) == config.Settings()
    odd = tmp_path / "odd.ini"
    odd.write_text("[server]\nurl = ftp://x\nusername = a:b\ntimeout = nan\n[clipboard]\npoll_seconds = -3\n")
    assert config.load(odd) == config.Settings()


def test_the_password_goes_to_the_keyring_never_to_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("ASTITRAY_TEST_KEYRING_FILE", str(tmp_path / "keyring.json"))
    keyring.set_keyring(FileKeyring())
    settings = config.Settings("https://astitray.example.org/rpc/", "alice")
    config.store_password(settings, "pw-Very-Secret")
    path = config.save(settings)
    assert "pw-Very-Secret" not in path.read_text()
    assert config.load_profile(path).password == "pw-Very-Secret"
    # Another server keeps its own password.
    other = config.Settings("https://other.example.org/rpc/", "alice")
    assert config.read_password(other) == ""
    config.forget_password(settings)
    config.forget_password(settings)  # twice is fine
    assert config.read_password(settings) == ""


def test_the_null_keyring_has_no_password():
    settings = config.Settings("https://astitray.example.org/rpc/", "alice")
    assert config.read_password(settings) == ""
    assert not config.Profile(settings, "").complete


def test_no_keyring_at_all_is_said_plainly():
    keyring.set_keyring(keyring.backends.fail.Keyring())
    settings = config.Settings("https://astitray.example.org/rpc/", "alice")
    with pytest.raises(config.KeyringProblem) as caught:
        config.store_password(settings, "pw")
    assert describe(caught.value) == (
        "The system keyring could not be used: "
        "no system keyring was found (install GNOME Keyring or KWallet)."
    )
    with pytest.raises(config.KeyringProblem):
        config.read_password(settings)


def test_a_profile_gives_its_client_and_what_a_window_needs_to_call_the_server(stand_in):
    profile = config.Profile(config.Settings(stand_in.url, USER, timeout_s=4.0), PASSWORD)
    client = profile.client()
    assert (client.credentials, client.timeout_s) == (profile.credentials, 4.0)
    assert client.whoami().username == "alice"
    # The payload travels as JSON to the window, which reads these five keys back.
    assert json.loads(json.dumps(profile.connection())) == {
        "url": stand_in.url,
        "username": USER,
        "password": PASSWORD,
        "token": "",
        "timeout": 4.0,
    }


def test_a_profile_with_a_token_sends_it_and_so_do_its_windows(stand_in):
    from tray_client.windows.host import api_client

    token = api.ApiClient(api.Credentials(stand_in.url, USER, PASSWORD)).create_token("test")[1]
    profile = config.Profile(config.Settings(stand_in.url, USER), "", token)
    assert profile.complete and token not in repr(profile)
    window_client = api_client(json.loads(json.dumps(profile.connection())))
    for client in (profile.client(), window_client):
        assert client.whoami().username == "alice"
    stand_in.revoke_all()
    with pytest.raises(api.AuthenticationRefused) as refused:
        window_client.whoami()
    assert refused.value.token
