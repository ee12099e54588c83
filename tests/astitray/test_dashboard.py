"""deploy/grafana/astitray-dashboard.json: every panel's query names metrics this server exports."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana" / "astitray-dashboard.json"
METRIC = re.compile(r"\bastitray_[a-z_]+\b")
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}

pytestmark = pytest.mark.django_db


def exported() -> set[str]:
    """The names of every sample /metrics can hold (from its TYPE lines: even before any count)."""
    text = Client().get("/metrics").content.decode()
    return {
        family.name + suffix
        for family in text_string_to_metric_families(text)
        # A counter's *_created samples (the time it started) are no figure of their own.
        if not family.name.endswith("_created")
        for suffix in SUFFIXES.get(family.type, ("",))
    }


def panels() -> list[dict]:
    return json.loads(DASHBOARD.read_text(encoding="utf-8"))["panels"]


def test_it_is_a_dashboard_of_distinct_panels_each_with_a_query():
    found = panels()
    assert len(found) >= 10
    assert len({panel["id"] for panel in found}) == len(found)
    assert all(panel["title"] and panel["targets"] for panel in found)
    assert all(
        target["datasource"]["uid"] == "${datasource}" for panel in found for target in panel["targets"]
    )


def test_every_query_names_only_metrics_the_server_exports(console_pbx):
    names = exported()
    for panel in panels():
        for target in panel["targets"]:
            used = set(METRIC.findall(target["expr"]))
            assert used, f"{panel['title']}: no Astitray metric in {target['expr']!r}"
            assert used <= names, f"{panel['title']}: {sorted(used - names)} not exported"


def test_every_metric_the_server_counts_has_a_panel(console_pbx):
    shown = {
        name for panel in panels() for target in panel["targets"] for name in METRIC.findall(target["expr"])
    }
    families = {
        re.sub(r"_(total|bucket|sum|count)$", "", name) for name in exported() if name.startswith("astitray_")
    }
    assert families <= {re.sub(r"_(total|bucket|sum|count)$", "", name) for name in shown}
