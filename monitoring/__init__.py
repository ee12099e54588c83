"""What the server counts for Prometheus (``GET /metrics``), shared by every app.

A leaf package: it imports nothing of the project (every app may import it),
and only ``prometheus_client``. The view that serves the figures, and what
is read from the database at scrape time, live in ``astitray/metrics_view.py``.
"""
