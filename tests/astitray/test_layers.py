"""The import contracts of docs/architecture.md: each package imports only in the directions it allows.

The import graph is grimp's (the engine of import-linter), built from the
source without importing it; imports under ``if TYPE_CHECKING:`` do not
count (they never run). A forbidden import, direct or through other
modules, fails with the chain of imports that leads to it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]
# Every package of the repository is in the graph; a new one is part of the server unless listed here.
NOT_SERVER = ("tray_client", "testkit", "tests", "bench")
PACKAGES = tuple(sorted(path.parent.name for path in ROOT.glob("*/__init__.py")))
SERVER = tuple(name for name in PACKAGES if name not in NOT_SERVER)
APPS = ("astitray", "accounts", "dialer", "phonebook", "events")
# The modules of events/ the apps below it may read (a phone's state: whoami, the dial's
# PHONE_UNAVAILABLE, the phonebook's presence); each imports no app but drivers.
EVENTS_LEAVES = ("events.presence",)

# The modules of drivers/ that are Django glue: the app, its model, admin, checks, signals and the
# per-process caches. Every other module of drivers/ is driver code (drivers/base.py,
# drivers/console.py, the Asterisk drivers and their protocol code, wherever they sit in the
# package) and must not import Django: a new glue module is added here on purpose, in review.
DRIVERS_DJANGO_GLUE = (
    "drivers.admin",
    "drivers.apps",
    "drivers.checks",
    "drivers.default_pbx",
    "drivers.migrations",
    "drivers.models",
    "drivers.process_copy",
    "drivers.services",
    "drivers.signals",
    "drivers.validators",
)


@dataclass(frozen=True)
class Contract:
    """No module of ``sources`` imports anything of ``forbidden``, directly or not.

    With ``rpc_glue``, an app's ``rpc`` module is left out of its sources: the
    thin procedures belong to the RPC layer, which sits above every app
    (``astitray/faults.py`` maps every app's errors to faults).
    """

    name: str
    sources: tuple[str, ...]
    forbidden: tuple[str, ...]
    rpc_glue: bool = False


CONTRACTS = (
    Contract("drivers/ imports no app", ("drivers",), APPS),
    Contract("accounts imports neither dialer nor phonebook", ("accounts",), ("dialer", "phonebook"), True),
    Contract("phonebook imports no other app", ("phonebook",), ("dialer", "accounts", "drivers"), True),
    Contract("dialer imports no project code", ("dialer",), ("astitray",), True),
    Contract("events imports no project code", ("events",), ("astitray",), True),
    Contract("externaldb imports no app", ("externaldb",), (*APPS, "drivers")),
    Contract("monitoring imports no app", ("monitoring",), (*APPS, "drivers", "externaldb", "django")),
    Contract(
        "tray_client imports nothing of the server",
        ("tray_client",),
        ("django", "modernrpc", *SERVER, "testkit", "tests", "bench"),
    ),
    Contract("the server imports no test code", SERVER, ("testkit", "tests", "bench", "tray_client")),
    Contract("testkit imports neither tests nor bench", ("testkit",), ("tests", "bench")),
    Contract("tests do not import bench", ("tests",), ("bench",)),
    Contract("bench does not import tests", ("bench",), ("tests",)),
)


@cache
def graph() -> grimp.ImportGraph:
    """The import graph of every package of the repository, with the external packages they import."""
    return grimp.build_graph(
        *PACKAGES, include_external_packages=True, exclude_type_checking_imports=True, cache_dir=None
    )


def inside(name: str, package: str) -> bool:
    """``name`` is ``package`` or one of its modules."""
    return name == package or name.startswith(f"{package}.")


def modules_of(packages: tuple[str, ...], *, rpc_glue: bool = False) -> list[str]:
    """Every module of ``packages``; without each one's ``rpc`` module when ``rpc_glue``."""
    missing = [package for package in packages if package not in graph().modules]
    assert missing == [], f"{missing} not in the repository: the contract is out of date"
    return sorted(
        name
        for name in graph().modules
        if any(inside(name, package) for package in packages)
        and not (rpc_glue and any(inside(name, f"{package}.rpc") for package in packages))
    )


def driver_modules() -> list[str]:
    """The modules of drivers/ that are driver code: every one but the package and its Django glue."""
    return [
        name
        for name in modules_of(("drivers",))
        if name != "drivers" and not any(inside(name, glue) for glue in DRIVERS_DJANGO_GLUE)
    ]


def describe(chain: tuple[str, ...]) -> str:
    """``a -> b (l. 3) -> c (l. 12)``: a chain of imports with the lines that make each step."""
    steps = [chain[0]]
    for importer, imported in itertools.pairwise(chain):
        details = graph().get_import_details(importer=importer, imported=imported)
        lines = ", ".join(str(detail["line_number"]) for detail in details)
        steps.append(f"{imported} (l. {lines})" if lines else imported)
    return " -> ".join(steps)


def broken(sources: list[str], forbidden: tuple[str, ...]) -> list[str]:
    """For each module of ``sources`` that reaches anything of ``forbidden``: its shortest chain there."""
    chains = set()
    inner = set(sources)
    for source in sources:
        reached = graph().find_upstream_modules(source)  # what it imports, directly or not
        for target in forbidden:
            found = [graph().find_shortest_chain(source, name) for name in reached if inside(name, target)]
            # A chain through another of the sources is that module's own chain: said once, there.
            if found := [chain for chain in found if chain and chain[1] not in inner]:
                chains.add(min(found, key=lambda chain: (len(chain), chain)))
    return sorted(describe(chain) for chain in chains)


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda contract: contract.name)
def test_the_layers_hold(contract):
    sources = modules_of(contract.sources, rpc_glue=contract.rpc_glue)
    assert broken(sources, contract.forbidden) == [], contract.name


def test_driver_classes_import_no_django_and_no_app():
    drivers = driver_modules()
    # Not vacuous: the base, the console driver and the Asterisk drivers are all checked.
    assert {"drivers.base", "drivers.console"} <= set(drivers)
    assert any(inside(name, "drivers.asterisk") for name in drivers), drivers
    assert broken(drivers, ("django", "modernrpc", *APPS)) == []


def test_the_apps_below_events_read_only_its_leaves():
    # events imports accounts, dialer and phonebook (the listener writes Call rows, looks names up):
    # they may read events' leaves only, which import no app but drivers (no cycle).
    sources = modules_of(("accounts", "dialer", "phonebook"), rpc_glue=True)
    inner = [name for name in modules_of(("events",)) if name != "events" and name not in EVENTS_LEAVES]
    assert inner, "events has no module the contract forbids: it is out of date"
    assert broken(sources, tuple(inner)) == []
    leaves = [name for name in EVENTS_LEAVES if name in graph().modules]
    assert broken(leaves, ("accounts", "dialer", "phonebook", "astitray", *inner)) == []


def test_the_lists_name_only_what_exists():
    assert [name for name in DRIVERS_DJANGO_GLUE if name not in graph().modules] == []
    assert {*APPS, "drivers", *NOT_SERVER} <= set(PACKAGES)


def test_a_forbidden_import_is_found_with_its_chain(tmp_path, monkeypatch):
    packages = {"low": {"base": "import high.views\n"}, "high": {"views": "\n\nimport json\n"}}
    for folder, modules in packages.items():
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "__init__.py").write_text("", encoding="utf-8")
        for name, code in modules.items():
            (tmp_path / folder / f"{name}.py").write_text(code, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    small = grimp.build_graph("low", "high", include_external_packages=True, cache_dir=None)
    monkeypatch.setattr(f"{__name__}.graph", lambda: small)
    assert broken(modules_of(("low",)), ("high",)) == ["low.base -> high.views (l. 1)"]
    assert broken(["low.base"], ("json",)) == ["low.base -> high.views (l. 1) -> json (l. 3)"]
    assert broken(modules_of(("high",)), ("low",)) == []
