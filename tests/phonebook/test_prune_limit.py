"""``--prune`` never empties a source by mistake: over ``--prune-limit`` percent it needs ``--force``."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from phonebook.models import Contact
from tests.phonebook.conftest import SIZE_LIMIT, snapshot, with_phone

pytestmark = pytest.mark.django_db


def people_csv(path: Path, count: int) -> Path:
    rows = "".join(f"k{i},Person {i},01 42 68 53 {i:02d}\n" for i in range(count))
    path.write_text("Key,Name,Phone\n" + rows)
    return path


def run(path: Path, *args: str) -> str:
    out = StringIO()
    call_command("import_contacts", str(path), "--source-name", "staff", *args, stdout=out)
    return out.getvalue()


def test_pruning_more_than_half_is_refused_and_changes_nothing(tmp_path):
    run(people_csv(tmp_path / "all.csv", 10))
    before = snapshot()
    few = people_csv(tmp_path / "few.csv", 4)
    message = (
        r"--prune would remove 6 of the 10 contacts of 'staff' \(60%, more than --prune-limit 50%\): "
        r"check that the source .* still gives everyone; to remove them all the same, run again with --force"
        r"; nothing was changed"
    )
    with pytest.raises(CommandError, match=message):
        run(few, "--prune")
    with pytest.raises(CommandError, match=message):
        run(few, "--prune", "--dry-run")
    assert snapshot() == before


def test_a_source_that_gives_nothing_never_empties_the_phonebook(tmp_path):
    run(people_csv(tmp_path / "all.csv", 10))
    empty = tmp_path / "empty.csv"
    empty.write_text("Key,Name,Phone\n")
    with pytest.raises(CommandError, match=r"would remove 10 of the 10 contacts .*\(100%"):
        run(empty, "--prune")
    assert Contact.objects.count() == 10


def test_up_to_the_limit_or_with_force_it_prunes(tmp_path):
    run(people_csv(tmp_path / "all.csv", 10))
    assert "5 removed" in run(people_csv(tmp_path / "half.csv", 5), "--prune")
    assert "3 removed" in run(people_csv(tmp_path / "two.csv", 2), "--prune", "--prune-limit", "60")
    assert "2 removed" in run(people_csv(tmp_path / "none.csv", 0), "--prune", "--force")
    assert Contact.objects.count() == 0


def test_the_limit_is_a_percentage(tmp_path):
    with pytest.raises(CommandError, match="--prune-limit is a percentage"):
        run(people_csv(tmp_path / "all.csv", 1), "--prune", "--prune-limit", "150")


def test_a_mistyped_ou_in_the_nightly_ldap_job_removes_nobody(directory):
    def ldap(base: str, *args: str) -> str:
        out = StringIO()
        call_command(
            "import_ldap_contacts", "--uri", directory.uri, "--base", base,
            "--bind-dn", directory.reader_dn, "--bind-password", directory.reader_password,
            "--page-size", str(SIZE_LIMIT), *args, stdout=out,
        )  # fmt: skip
        return out.getvalue()

    ldap(f"ou=people,{directory.base_dn}", "--prune")
    count = with_phone(260)
    assert Contact.objects.count() == count
    # The base exists (it holds the reading account) but has no people: every contact would go.
    with pytest.raises(CommandError, match=rf"would remove {count} of the {count} contacts of 'ldap'"):
        ldap(directory.base_dn.replace("dc=example", "ou=groups,dc=example"), "--prune")
    assert Contact.objects.count() == count
