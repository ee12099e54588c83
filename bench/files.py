"""Benchmark: ``import_contacts`` of a large vCard file and a large CSV file (SQLite, wall time).

Generates ``--contacts`` people (accented names, two numbers each) as a
vCard 3.0 file and as an Outlook-style CSV file, both UTF-8 with one line in
Windows-1252 (what real exports hold), and times a first import of each into
a fresh SQLite database (the command's whole run, Django's start included).
Prints its figures on the last line.

    .venv/bin/python -m bench.files [--contacts 50000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST = ["Hélène", "Zoë", "Łukasz", "Øyvind", "José", "Anne-Marie", "Marc", "Ingrid", "François", "Ana"]
LAST = ["Dupont", "Müller", "Núñez", "O'Brien", "Lefèvre", "Smith", "García", "Nguyễn", "Dupond", "Kowalski"]


def name(i: int) -> str:
    return f"{FIRST[i % 10]} {LAST[i // 10 % 10]} {i}"


def digits(i: int) -> str:
    """Person ``i``'s last three pairs of digits ("04 27 15")."""
    return f"{i // 10000 % 100:02d} {i // 100 % 100:02d} {i % 100:02d}"


def write_vcard(path: Path, count: int) -> None:
    with path.open("wb") as out:
        for i in range(count):
            fn = name(i).encode("cp1252" if i == count // 2 else "utf-8", errors="replace")
            card = (
                f"ORG:Example Corp;Ventes\r\nTEL;TYPE=WORK:+33 1 42 {digits(i)}\r\n"
                f"TEL;TYPE=CELL:06 12 {digits(i)}\r\nUID:person-{i}\r\nEND:VCARD\r\n"
            )
            out.write(b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:" + fn + b"\r\n" + card.encode())


def write_csv(path: Path, count: int) -> None:
    with path.open("wb") as out:
        out.write(b"First Name,Last Name,Company,Department,Business Phone,Mobile Phone,E-mail Address\r\n")
        for i in range(count):
            first, last = FIRST[i % 10], f"{LAST[i // 10 % 10]} {i}"
            phones = f"+33 1 42 {digits(i)},06 12 {digits(i)}"
            line = f"{first},{last},Example Corp,Ventes,{phones},p{i}@example.org\r\n"
            out.write(line.encode("cp1252" if i == count // 2 else "utf-8", errors="replace"))


def timed_import(path: Path, env: dict[str, str]) -> float:
    command = [sys.executable, "manage.py", "import_contacts", str(path), "--verbosity", "0"]
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--contacts", type=int, default=50_000)
    args = parser.parse_args()
    figures = []
    with tempfile.TemporaryDirectory(prefix="astitray-bench-files-") as tmp:
        for kind, write in (("vCard", write_vcard), ("CSV", write_csv)):
            path = Path(tmp) / f"people.{'vcf' if kind == 'vCard' else 'csv'}"
            write(path, args.contacts)
            database = Path(tmp) / f"{kind}.sqlite3"
            env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "ASTITRAY_DEFAULT_COUNTRY": "FR"}
            subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
            seconds = timed_import(path, env)
            figures.append(f"{kind} {seconds:.1f} s ({args.contacts / seconds:,.0f} contacts/s)")
    print(f"import_contacts of {args.contacts:,} contacts, first import into SQLite: " + ", ".join(figures))


if __name__ == "__main__":
    main()
