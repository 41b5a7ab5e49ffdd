"""Prometheus metrics at /metrics (prometheus-client).

What is measured, and never a company's data in a label (tests/ops/test_metrics.py):

- `app_http_request_duration_seconds{view, method, status}`: latency per view, labelled with the
  URL's *name* (`invoicing:invoice-list`), never its path (paths carry the company's slug and
  row ids); a path that matches no URL is `unresolved`; the status as its class (`2xx`).
- `app_task_queue_depth{queue}`: tasks waiting for a worker, read when scraped (the database
  backend's ready rows, or the RQ queue's length), so it is right whichever process queued them.
- `app_bulk_run_throughput_per_second{phase, unit}` (histogram), `app_bulk_run_items_total` and
  `app_bulk_run_seconds_total`: what finished bulk-run tasks did (rows drafted, invoices issued)
  and how long they took, recorded by the worker that ran them (config/apps.py);
  `rate(items) / rate(seconds)` is the throughput over any window.

Who may read them: /metrics answers 404 unless METRICS_TOKEN is set and the request carries
`Authorization: Bearer <METRICS_TOKEN>` (404 as well without it: nothing says the page is there).

Several processes: gunicorn's workers (and task workers on the same host) each count their own.
Point PROMETHEUS_MULTIPROC_DIR at an empty directory writable by all of them, the same for all,
before they start: prometheus-client then keeps each process's figures in files there and
/metrics adds them up; gunicorn.conf.py empties it at start and marks dead workers.
"""

import hmac
import os
import time

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.http import Http404, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10, 30)
THROUGHPUT_BUCKETS = (10, 25, 50, 100, 250, 500, 1000, 2000, 5000, 10000, 25000)

REQUEST_LATENCY = Histogram(
    "app_http_request_duration_seconds",
    "Time from the request's arrival to its answer, per view (URL name).",
    ["view", "method", "status"],
    buckets=LATENCY_BUCKETS,
)
BULK_RUN_THROUGHPUT = Histogram(
    "app_bulk_run_throughput_per_second",
    "Rows drafted or invoices issued per second by a finished bulk-run task.",
    ["phase", "unit"],
    buckets=THROUGHPUT_BUCKETS,
)
BULK_RUN_ITEMS = Counter(
    "app_bulk_run_items",
    "Rows drafted or invoices issued by finished bulk-run tasks.",
    ["phase", "unit"],
)
BULK_RUN_SECONDS = Counter(
    "app_bulk_run_seconds",
    "Seconds spent by finished bulk-run tasks.",
    ["phase"],
)

UNRESOLVED = "unresolved"
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def enabled() -> bool:
    return bool(getattr(settings, "METRICS_TOKEN", ""))


# --- Requests -----------------------------------------------------------------------------------


def view_label(request) -> str:
    """The URL's name with its namespaces (or the view's dotted path for an unnamed URL): the
    same for every company and every row."""
    match = getattr(request, "resolver_match", None)
    return match.view_name if match is not None else UNRESOLVED


class MetricsMiddleware:
    """Times every request (outermost but for the request id); off while METRICS_TOKEN is unset."""

    def __init__(self, get_response):
        if not enabled():
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        start = time.perf_counter()
        response = self.get_response(request)
        method = request.method if request.method in METHODS else "other"
        REQUEST_LATENCY.labels(
            view=view_label(request), method=method, status=f"{response.status_code // 100}xx"
        ).observe(time.perf_counter() - start)
        return response


# --- Bulk runs (recorded by the worker that ran them; config/apps.py connects the signals) ------


def observe_bulk_run(phase: str, unit: str, items: int, seconds: float) -> None:
    if items <= 0 or seconds <= 0:
        return
    BULK_RUN_ITEMS.labels(phase=phase, unit=unit).inc(items)
    BULK_RUN_SECONDS.labels(phase=phase).inc(seconds)
    BULK_RUN_THROUGHPUT.labels(phase=phase, unit=unit).observe(items / seconds)


# --- The task queue, read when scraped ----------------------------------------------------------


def queue_depths() -> dict[str, int]:
    """Tasks waiting for a worker, per queue, from the configured backend."""
    from django_tasks import default_task_backend

    backend_path = settings.TASKS["default"]["BACKEND"]
    if backend_path == "django_tasks_db.DatabaseBackend":
        from django.db.models import Count
        from django_tasks.base import TaskResultStatus
        from django_tasks_db.models import DBTaskResult

        rows = (
            DBTaskResult.objects.filter(status=TaskResultStatus.READY)
            .values("queue_name")
            .annotate(n=Count("id"))
            .order_by()
        )
        depths = dict.fromkeys(default_task_backend.queues or ["default"], 0)
        depths.update({row["queue_name"]: row["n"] for row in rows})
        return depths
    if backend_path == "django_tasks_rq.RQBackend":
        import django_rq

        return {name: len(django_rq.get_queue(name)) for name in settings.RQ_QUEUES}
    return {}  # the immediate and dummy backends keep no queue


class QueueDepthCollector:
    def collect(self):
        family = GaugeMetricFamily(
            "app_task_queue_depth", "Tasks waiting for a worker.", labels=["queue"]
        )
        for queue, depth in sorted(queue_depths().items()):
            family.add_metric([queue], depth)
        yield family


# --- /metrics -------------------------------------------------------------------------------------


def authorised(request) -> bool:
    token = getattr(settings, "METRICS_TOKEN", "")
    given = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


def metrics_registry() -> CollectorRegistry:
    """Every process's figures in multiprocess mode, else this process's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def metrics_view(request):
    if request.method != "GET" or not authorised(request):
        raise Http404
    queue = CollectorRegistry(auto_describe=False)
    queue.register(QueueDepthCollector())
    body = generate_latest(metrics_registry()) + generate_latest(queue)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
