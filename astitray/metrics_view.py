"""``GET /metrics``: Prometheus's text format, for the addresses of ``ASTITRAY_METRICS_ALLOWED`` only.

What processes counted (``monitoring.metrics``) is added up across the
processes of this host when ``PROMETHEUS_MULTIPROC_DIR`` is set (gunicorn's
workers, the PBX listener, imports); each host is scraped on its own and
Prometheus adds hosts up. The PBXs' connection states are read from the
database at each scrape (the same on every host: take their ``max``, never
their sum). Others are refused with an empty HTTP 403, as ``/cid/`` does.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import os
from collections.abc import Iterator

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from accounts.lockout import client_address
from astitray.health import DOWN, UNKNOWN, UP, pbx_states
from monitoring.metrics import MAX_LABEL

logger = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class PbxStateCollector(Collector):
    """``astitray_pbx_state{pbx, state}``: 1 for each enabled PBX's current state, 0 for the others."""

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "astitray_pbx_state",
            "The PBX listener's connection to each enabled PBX (up, down, unknown: no listener holds it).",
            labels=["pbx", "state"],
        )
        try:
            states = pbx_states()
        except Exception as exc:  # a scrape's boundary: the other figures are still served
            logger.warning("metrics: the PBX states could not be read: %s", type(exc).__name__)
            states = []
        for pbx in states:
            for state in (UP, DOWN, UNKNOWN):
                family.add_metric([pbx.name[:MAX_LABEL], state], 1.0 if pbx.state == state else 0.0)
        yield family


_PBX_STATES = PbxStateCollector()


@functools.cache
def _process_registry() -> CollectorRegistry:
    """prometheus_client's registry of this process, with the PBX states added (once)."""
    REGISTRY.register(_PBX_STATES)
    return REGISTRY


def _registry() -> CollectorRegistry:
    """This process's registry, or a fresh one adding up every process's files (multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        registry.register(_PBX_STATES)
        return registry
    return _process_registry()


def allowed(address: str | None) -> bool:
    """Whether ``address`` is one of ``ASTITRAY_METRICS_ALLOWED``'s addresses or networks."""
    if address is None:
        return False
    ip = ipaddress.ip_address(address)
    return any(ip in network for network in settings.ASTITRAY_METRICS_NETWORKS)


def metrics(request: HttpRequest) -> HttpResponse:
    """Every figure, in Prometheus's text format; an empty 403 for other addresses."""
    address = client_address(request)
    if not allowed(address):
        logger.warning("metrics: %s is not in ASTITRAY_METRICS_ALLOWED: refused", address)
        return HttpResponse(status=403, content_type="text/plain; charset=utf-8")
    response = HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE)
    response["Cache-Control"] = "no-store"
    return response
