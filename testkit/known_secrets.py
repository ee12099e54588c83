"""Every secret the tests use, in one place: the fixtures import them from here.

The session-wide log check (:mod:`testkit.log_secrets`) scans every log the
test suite produced for each value below and fails the run, naming the
label, if one appears. A new test secret belongs here (a distinctive value
of 8 characters or more, so that a hit means a leak, not a coincidence).
"""

from __future__ import annotations

# Users' passwords (tests/conftest.py, the tray client's tests, live servers).
ALICE_PASSWORD = "alice-Secret-1"
BOB_PASSWORD = "bob-Secret-2"
ALICE_LIVE_PASSWORD = "alice-Live-1"  # gunicorn live servers (tests/dialing, tests/auth)
SCALE_OUT_PASSWORD = "scale-Out-pw-1"
BROWSER_ADMIN_PASSWORD = "root-Browser-pw-1"
BROWSER_CAROL_PASSWORD = "carol-Browser-pw-1"
ADMIN_FORM_PASSWORD = "A-pw-12345678"  # tests/astitray/test_admin.py
HASH_PASSWORD = "hash-Secret-1"  # tests/accounts/test_hashes.py
AUDIT_PASSWORD = "Never-Logged-Secret-42"  # tests/accounts/test_audit.py
CLIENTS_PASSWORD = "Carla-Clients-7x"  # tests/astitray/test_rpc_other_clients.py
TRAY_KEYRING_PASSWORD = "pw-Very-Secret"  # tests/tray_client/test_config.py
CALLER_CACHE_PASSWORDS = {  # tests/accounts/test_caller_cache_processes.py
    "first": "caller-Cache-1",
    "changed": "caller-Cache-2",
}
CALLER_CACHE_PBX_SECRET = "pbx-Secret-never-cached"  # tests/accounts/test_callers.py

# Wrong passwords are passwords too (people mistype their real one): never logged either.
WRONG_PASSWORDS = {
    "ldap-wrong": "not-her-password",
    "ldap-unknown-user": "any-Password-1",
    "sql-wrong": "wrong-Password",
    "ldap-import-wrong": "wrong-Password-123",
    "pbx-wrong": "wrong-secret",
}
STAFF_PASSWORD = "staff-pw"  # tests/dialer/rules/test_admin.py
PBX_FORM_NEW_SECRET = "new-secret"  # tests/astitray/test_admin.py

# Password files and external tables (tests/auth).
HTPASSWD_PASSWORD = "file-Secret-1"
HTPASSWD_PASSWORDS = {"omar": "omar-File-1", "pia": "pia-File-1", "mia": "mia-File-1"}
SQL_PASSWORDS = {"ivan": "ivan-Sql-1", "judy": "judy-Sql-2", "kim": "kim-Sql-3"}

# The LDAP directory (testkit/slapd.py): its admin, the bind (reader) account, people.
LDAP_ROOT_PASSWORD = "ldap-Root-secret"
LDAP_READER_PASSWORD = "ldap-Reader-secret"
LDAP_BIND_PASSWORD_SETTING = "service-Secret"  # tests/accounts/test_auth_settings.py
LDAP_PASSWORDS = {
    "carol": "carol-Ldap-1",
    "dave": "dave-Ldap-2",
    "erin": "erin-Ldap-3",
    "hank": "hank-Ldap-4",
    "gina": "gina-Ldap-5",
}

# The PBX (testkit/fake_asterisk: manager.conf and ari.conf users; the admin's PBX form).
AMI_SECRET = "astitray-secret"
AMI_READONLY_SECRET = "readonly-secret"
ARI_SECRET = "astitray-ari-secret"
PBX_FORM_SECRET = "ami-S3cret"  # tests/astitray/test_admin.py
# The recordings of live events (recorded/etc/manager.conf.additions, pjsip.conf): the least-rights and
# listener manager users, and the phones' SIP passwords (PJSIPShowEndpoint answers them in clear).
AMI_RECORDED_SECRETS = {"astitray-min": "astitray-min-secret", "astitray-listen": "astitray-listen-secret"}
# FreeSWITCH's Event Socket password (testkit/fake_freeswitch/recorded/etc/autoload_configs/).
ESL_PASSWORD = "astitray-esl-secret"
PHONE_PASSWORDS = {"1001": "phone-1001-secret", "1002": "phone-1002-secret", "1003": "phone-1003-secret"}

# Django's SECRET_KEY of the deployment tests (tests/e2e).
DEPLOY_SECRET_KEY = "p-" + "Zq8v3LmN4xT7yB2cR5kW9jH1gF6dS0aE" * 2
SCALE_OUT_SECRET_KEY = "shared-" + "Zq8v3LmN4xT7yB2cR5kW9jH1gF6dS0aE" * 2


# The hostile-input tests (tests/hostile): unusual passwords that must work, and the ones they change to.
HOSTILE_PASSWORDS = {
    "colons": "pa:ss:word",
    "leading-colon": ":leading-colon",
    "trailing-colon": "trailing-colon:",
    "latin": "pässwörd",
    "cyrillic-cjk-emoji": "пароль-密码-🔑",
    "spaces": " spaces around ",
    "changed": "a-New-password-77",  # tests/hostile/test_authz.py
    "staff": "sam-Staff-1",  # tests/hostile/test_http.py
    "htpasswd-old": "omar-Old-1",  # tests/hostile/test_authz.py: a password changed in the file
    "htpasswd-new": "omar-New-2",
}
HOSTILE_WRONG_PASSWORDS = {f"injection-{attempt}": f"' OR 1=1 -- {attempt}" for attempt in range(5)}

# API tokens (tests/accounts/test_tokens*.py): made with these values so that the log check knows them.
API_TOKENS = {
    "alice": "astk_" + "aLiCeToKeN0123456789-_abcdefghijklmnopqrstu"[:43],
    "alice-2": "astk_" + "sEcOnDaLiCe0123456789-_abcdefghijklmnopqrst"[:43],
    "bob": "astk_" + "bObToKeN0123456789-_abcdefghijklmnopqrstuvw"[:43],
    "other": "astk_" + "uNkNoWn0123456789-_abcdefghijklmnopqrstuvwx"[:43],
}


def all_secrets() -> dict[str, str]:
    """Label -> value of every secret above (``LDAP_PASSWORDS[carol]`` for a dict's entries)."""
    found: dict[str, str] = {}
    for name, value in globals().items():
        if not name.isupper():
            continue
        if isinstance(value, str):
            found[name] = value
        elif isinstance(value, dict):
            found.update({f"{name}[{key}]": item for key, item in value.items()})
    return found
