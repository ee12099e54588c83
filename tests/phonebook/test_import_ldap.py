"""``manage.py import_ldap_contacts`` against a real slapd."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from phonebook.importers import writer
from phonebook.models import Contact, PhoneNumber
from testkit.rpc import xmlrpc_call
from testkit.slapd import Slapd
from tests.phonebook.conftest import SIZE_LIMIT, ldif_entry, snapshot, with_phone

pytestmark = pytest.mark.django_db


def run(server: Slapd, *args: str, **options) -> str:
    out = StringIO()
    call_command(
        "import_ldap_contacts",
        "--uri", server.uri,
        "--base", f"ou=people,{server.base_dn}",
        "--bind-dn", server.reader_dn,
        "--bind-password", server.reader_password,
        "--page-size", "40",
        *args,
        stdout=out,
        **options,
    )  # fmt: skip
    return out.getvalue()


# transaction=True: MariaDB's FULLTEXT index only sees committed rows.
@pytest.mark.django_db(transaction=True)
def test_it_imports_more_entries_than_the_size_limit_and_the_api_finds_them(directory, client, alice_auth):
    output = run(directory)
    expected = with_phone(260)
    assert expected > SIZE_LIMIT * 4
    assert (
        f"260 read: {expected} created, 0 updated, 0 unchanged, 0 removed, {260 - expected} skipped" in output
    )
    assert Contact.objects.filter(source="ldap", source_name="ldap").count() == expected

    found = xmlrpc_call(client, "phonebook.search", "hel dup", 200, auth=alice_auth)
    assert found and all(c["name"].startswith(("Hélène Dupont", "Hélène Dupond")) for c in found)
    assert found[0]["name"].startswith("Hélène Dupond")  # name order: "dupond" < "dupont"
    first = found[0]
    assert first["company"] == "Example Corp"
    assert first["numbers"][0]["e164"].startswith("+3314268")

    # Person 55: two desk lines and a mobile; person 33: two desk lines.
    hit = xmlrpc_call(client, "phonebook.lookup", "+33 1 42 68 00 55", auth=alice_auth)
    assert hit["name"] == "Anne-Marie Smith 55"
    assert [(n["label"], n["e164"]) for n in hit["numbers"]] == [
        ("work", "+33142680055"),
        ("work", "+33142690055"),
        ("mobile", "+33612000055"),
    ]
    assert (
        xmlrpc_call(client, "phonebook.lookup", "0142690033", auth=alice_auth)["name"] == "Øyvind O'Brien 33"
    )
    assert xmlrpc_call(client, "phonebook.lookup", "+33 1 42 68 00 07", auth=alice_auth) == {}  # no phone
    assert [c["name"] for c in xmlrpc_call(client, "phonebook.search", "nguyen", 3, auth=alice_auth)] == [
        "Ana Nguyễn 179",
        "Ana Nguyễn 79",
        "Anne-Marie Nguyễn 75",  # 175 has no phone
    ]


def test_it_changes_nothing_the_second_time(directory):
    run(directory)
    before = snapshot()
    output = run(directory)
    assert f"0 created, 0 updated, {with_phone(260)} unchanged, 0 removed" in output
    assert snapshot() == before


def test_it_follows_a_renamed_entry(directory):
    run(directory)
    contact = Contact.objects.get(email="person12@example.org")
    directory.modify(
        f"dn: uid=person12,ou=people,{directory.base_dn}\nchangetype: modrdn\nnewrdn: uid=moved12\n"
        "deleteoldrdn: 1\n\n"
        f"dn: uid=moved12,ou=people,{directory.base_dn}\nchangetype: modify\nreplace: displayName\n"
        "displayName: Marc Moved\n"
    )
    output = run(directory, "--prune")
    assert "0 created, 1 updated" in output and "0 removed" in output
    moved = Contact.objects.get(pk=contact.pk)
    assert moved.name == "Marc Moved"
    assert moved.source_key == contact.source_key  # the entryUUID, not the DN
    assert Contact.objects.filter(email="person12@example.org").count() == 1


def test_it_can_key_on_the_dn(directory):
    run(directory, "--key-attribute", "dn")
    assert Contact.objects.get(email="person12@example.org").source_key == (
        f"uid=person12,ou=people,{directory.base_dn}"
    )


def test_it_prunes_only_its_own_source(directory):
    run(directory)
    run(directory, "--source-name", "other-directory", "--filter", "(uid=person1)")
    by_hand = Contact.objects.create(name="Hand Made")
    directory.modify(
        f"dn: uid=person2,ou=people,{directory.base_dn}\nchangetype: delete\n\n"
        f"dn: uid=person3,ou=people,{directory.base_dn}\nchangetype: modify\ndelete: telephoneNumber\n"
    )

    assert "0 removed" in run(directory)  # without --prune nothing goes
    output = run(directory, "--prune", verbosity=2)
    assert "2 removed" in output  # person 2 is gone, person 3 has no number any more
    assert "- Łukasz Dupont 2 (" in output
    assert "- Øyvind Dupont 3 (" in output
    assert not Contact.objects.filter(email="person2@example.org", source_name="ldap").exists()
    assert Contact.objects.filter(source_name="other-directory").count() == 1
    assert Contact.objects.filter(pk=by_hand.pk).exists()
    assert not PhoneNumber.objects.filter(e164="+33142680002").exists()


def test_a_dry_run_reports_and_changes_nothing(directory):
    before = snapshot()
    output = run(directory, "--dry-run")
    assert output.startswith("dry run, nothing was changed")
    assert f"{with_phone(260)} would be created" in output
    assert snapshot() == before


def test_it_keeps_entries_without_a_number_when_asked(directory):
    run(directory, "--keep-without-number")
    assert Contact.objects.filter(source="ldap").count() == 260
    assert Contact.objects.get(email="person7@example.org").numbers.count() == 0


def stop_after_first_batch(monkeypatch, action):
    original = writer.ContactImport._write
    calls = []

    def write(self, batch):
        original(self, batch)
        calls.append(len(batch))
        if len(calls) == 1:
            action()

    monkeypatch.setattr(writer.ContactImport, "_write", write)
    return calls


def test_the_server_stopping_in_the_middle_changes_nothing(directory, monkeypatch):
    run(directory)
    Contact.objects.create(name="Hand Made")
    newcomer = ldif_entry(
        f"uid=new1,ou=people,{directory.base_dn}",
        {"uid": ["new1"], "cn": ["Newcomer"], "sn": ["N"], "telephoneNumber": ["+33 1 40 00 00 01"]},
    )
    directory.modify(
        f"dn: uid=person1,ou=people,{directory.base_dn}\nchangetype: modify\nreplace: displayName\n"
        "displayName: Someone Else\n\n" + newcomer.replace("\n", "\nchangetype: add\n", 1)
    )
    before = snapshot()
    calls = stop_after_first_batch(monkeypatch, directory.stop)
    with pytest.raises(CommandError, match=r"cannot reach the LDAP server .*; nothing was changed"):
        run(directory, "--prune", "--batch-size", "10")
    assert sum(calls) >= 10  # batches were written before the server went away
    assert snapshot() == before


def test_ctrl_c_in_the_middle_changes_nothing(directory, monkeypatch):
    before = snapshot()

    def interrupt():
        raise KeyboardInterrupt

    stop_after_first_batch(monkeypatch, interrupt)
    with pytest.raises(CommandError, match="interrupted; nothing was changed"):
        run(directory, "--batch-size", "10")
    assert snapshot() == before


def test_an_unreachable_server_or_a_wrong_password_is_a_clear_error(directory):
    with pytest.raises(CommandError, match="refused the bind DN") as refused:
        run(directory, "--bind-password", "wrong-Password-123")
    assert "wrong-Password-123" not in str(refused.value)
    directory.stop()
    with pytest.raises(CommandError, match=f"cannot reach the LDAP server {directory.uri}"):
        run(directory, "--timeout", "5")
    assert Contact.objects.count() == 0


def test_start_tls_against_a_server_without_tls_fails_clearly(directory):
    with pytest.raises(CommandError, match="nothing was changed"):
        run(directory, "--start-tls", "--timeout", "5")
    assert Contact.objects.count() == 0


def test_bad_options_are_refused_before_anything_runs(directory, tmp_path):
    with pytest.raises(CommandError, match="--attrs: expected field=attribute"):
        run(directory, "--attrs", "nickname=cn")
    with pytest.raises(CommandError, match="does not exist"):
        run(directory, "--base", "ou=nowhere,dc=example,dc=org")
    with pytest.raises(CommandError, match="not valid"):
        run(directory, "--filter", "(uid=")
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_ldap_contacts", "--uri", directory.uri, "--base", directory.base_dn,
                     "--bind-password-file", str(tmp_path / "missing"))  # fmt: skip
    with pytest.raises(CommandError, match="has no employeeNumber"):
        run(directory, "--key-attribute", "employeeNumber")


def test_it_reads_settings_and_a_password_file(directory, settings, tmp_path):
    secret = tmp_path / "password"
    secret.write_text(directory.reader_password + "\n")
    settings.ASTITRAY_PHONEBOOK_LDAP_URI = directory.uri
    settings.ASTITRAY_PHONEBOOK_LDAP_BASE = directory.base_dn
    settings.ASTITRAY_PHONEBOOK_LDAP_BIND_DN = directory.reader_dn
    settings.ASTITRAY_PHONEBOOK_LDAP_ATTRS = "name=sn,mobile="
    out = StringIO()
    call_command("import_ldap_contacts", "--bind-password-file", str(secret), "--page-size", "30", stdout=out)
    assert f"{with_phone(260)} created" in out.getvalue()
    assert Contact.objects.get(email="person5@example.org").name == "Dupont"
    assert not PhoneNumber.objects.filter(label="mobile").exists()


def test_a_key_attribute_that_comes_twice_is_refused(directory):
    directory.modify(
        "".join(
            f"dn: uid=person{i},ou=people,{directory.base_dn}\nchangetype: modify\n"
            f"add: employeeNumber\nemployeeNumber: E{min(i, 20)}\n\n"
            for i in range(1, 30)
        )
    )
    with pytest.raises(CommandError, match=r"key 'e20' appears twice \(first uid=person2\d"):
        run(
            directory,
            "--key-attribute",
            "employeeNumber",
            "--filter",
            "(employeeNumber=*)",
            "--batch-size",
            "5",
        )
    assert Contact.objects.count() == 0
