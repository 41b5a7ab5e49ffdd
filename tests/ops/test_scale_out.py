"""Several app servers and workers share nothing but the database (and Redis with RQ, and the
file storage): two gunicorn servers and two task workers on one PostgreSQL database finish a
bulk run started over HTTP on one server and followed on the other.

The workers are `db_worker`s, or RQ workers when TASKS_BACKEND says rq (CI runs it both ways)."""

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts.platform.tenancy import activate
from invoicing.models import ExchangeRate, Invoice, InvoiceRun, InvoiceStatus, RunStatus
from tests.factories import AccountFactory, ProjectFactory
from tests.invoicing.test_bulk_runs import delivered

ROOT = Path(__file__).resolve().parents[2]
PROJECTS = 12
# As the README starts them: RQ's job class of django-tasks-rq (RQ's own cannot run a Task).
RQ_WORKER_OPTIONS = ["--job-class", "django_tasks_rq.backend.Job"]
pytestmark = pytest.mark.postgres


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _uses_rq() -> bool:
    return (
        settings.TASKS_BACKEND_ALIASES.get(
            os.environ.get("TASKS_BACKEND", "").lower(), os.environ.get("TASKS_BACKEND", "")
        )
        == "django_tasks_rq.RQBackend"
    )


METRICS_TOKEN = "scale-out-metrics-token"


def _env(media: Path, metrics: Path) -> dict:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": url,
        # Plain static files and cookies over http; everything else as in production.
        "DEBUG": "1",
        "SECRET_KEY": settings.SECRET_KEY,  # the test's sessions are valid on the servers
        "ALLOWED_HOSTS": "127.0.0.1",
        "MEDIA_ROOT": str(media),  # the storage the servers and workers share
        "TASKS_BACKEND": "rq" if _uses_rq() else "db",
        "WEB_CONCURRENCY": "2",
        "LOG_LEVEL": "WARNING",
        # Metrics of every process of a host add up (prometheus-client's multiprocess mode).
        "METRICS_TOKEN": METRICS_TOKEN,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics),
    }


def _start(command, env, log: Path):
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _stop(process) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


class Browser:
    """A signed-in browser on one server (urllib with a cookie jar)."""

    def __init__(self, port: int, session_cookie: str):
        self.base = f"http://127.0.0.1:{port}"
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )
        self.session = session_cookie

    def request(self, path, data=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body)
        request.add_header("Cookie", f"{settings.SESSION_COOKIE_NAME}={self.session}")
        csrf = next((c.value for c in self.jar if c.name == settings.CSRF_COOKIE_NAME), None)
        if csrf:
            request.add_header(
                "Cookie",
                f"{settings.SESSION_COOKIE_NAME}={self.session}; "
                f"{settings.CSRF_COOKIE_NAME}={csrf}",
            )
            request.add_header("Referer", self.base + path)
        try:
            with self.opener.open(request, timeout=30) as response:
                self.jar.extract_cookies(response, request)
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode(errors="replace")

    def form_token(self, path) -> str:
        status, _, page = self.request(path)
        assert status == 200, page[:500]
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _wait_ready(port, process, log, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server stopped: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"the server did not start: {log.read_text()[-2000:]}")


def _wait_for(tenant, run_pk, statuses, browser, path, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, _, _page = browser.request(path)  # the other server's run page
        assert status == 200
        with activate(tenant):
            run = InvoiceRun.objects.get(pk=run_pk)
        if run.status in statuses:
            return run
        assert run.status != RunStatus.FAILED, run.errors
        time.sleep(0.3)
    pytest.fail(f"the run did not reach {statuses} in time (it is {run.status})")


@pytest.fixture
def estate(postgres_only, world_a):
    account = AccountFactory(tenant=world_a.tenant)
    for n in range(PROJECTS):
        delivered(ProjectFactory(account=account, code=f"PR-{n:03d}"), 3)
    ExchangeRate.objects.create(
        tenant=world_a.tenant, currency="GBP", date=timezone.localdate(), rate=Decimal("1.15")
    )
    return world_a


def test_two_servers_and_two_workers_finish_a_bulk_run(estate, tmp_path):
    if _uses_rq():
        import django_rq

        django_rq.get_queue("default").empty()
    tenant = estate.tenant
    client = Client()
    client.force_login(estate.finance)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    # Two "hosts": each server has its own metrics directory; the workers sit beside server 1.
    metrics = [tmp_path / "metrics-0", tmp_path / "metrics-1"]
    for directory in metrics:
        directory.mkdir()
    ports = [_free_port(), _free_port()]
    processes = []
    try:
        servers = []
        for n, port in enumerate(ports):
            log = tmp_path / f"server-{n}.log"
            command = [sys.executable, "-m", "gunicorn", "config.wsgi", "-c", "gunicorn.conf.py"]
            env = _env(tmp_path / "media", metrics[n])
            server = _start([*command, "--bind", f"127.0.0.1:{port}"], env, log)
            processes.append(server)
            servers.append((port, server, log))
        for n in range(2):
            worker = (
                [sys.executable, "manage.py", "rqworker", "default", *RQ_WORKER_OPTIONS]
                if _uses_rq()
                else [sys.executable, "manage.py", "db_worker", "--interval", "0.2"]
            )
            beside_server_1 = _env(tmp_path / "media", metrics[1])
            processes.append(_start(worker, beside_server_1, tmp_path / f"worker-{n}.log"))
        for port, server, log in servers:
            _wait_ready(port, server, log)

        one, other = Browser(ports[0], session), Browser(ports[1], session)
        runs = f"/{tenant.slug}/invoices/runs/"
        token = one.form_token(runs)
        status, headers, page = one.request(
            runs,
            {"csrfmiddlewaretoken": token, "grouping": "project", "key": uuid.uuid4().hex},
        )
        assert status == 302, page[:1000]
        run_path = urllib.parse.urlparse(headers["Location"]).path
        run_pk = int(re.search(r"/runs/(\d+)/$", run_path).group(1))

        run = _wait_for(tenant, run_pk, {RunStatus.DRAFTED}, other, run_path)
        assert run.invoices_created == PROJECTS and run.processed == PROJECTS * 3
        token = other.form_token(run_path)
        status, _, page = other.request(run_path, {"csrfmiddlewaretoken": token, "action": "issue"})
        assert status == 200 and "Please confirm" in page, page[:1000]  # asks once
        status, _, page = other.request(
            run_path, {"csrfmiddlewaretoken": token, "action": "issue", "confirmed": "1"}
        )
        assert status == 302, page[:1000]
        run = _wait_for(tenant, run_pk, {RunStatus.DONE}, one, run_path)
        status, _, page = one.request(run_path)
        assert status == 200 and "Issued" in page

        # Server 1's /metrics adds up its two gunicorn workers and the task workers beside it.
        request = urllib.request.Request(
            f"http://127.0.0.1:{ports[1]}/metrics",
            headers={"Authorization": f"Bearer {METRICS_TOKEN}"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            exposed = response.read().decode()
        drafted_rows = f'app_bulk_run_items_total{{phase="draft",unit="rows"}} {PROJECTS * 3}.0'
        issued = f'app_bulk_run_items_total{{phase="issue",unit="invoices"}} {PROJECTS}.0'
        assert drafted_rows in exposed and issued in exposed
        polled = re.search(
            r'app_http_request_duration_seconds_count\{method="GET",status="2xx",'
            r'view="invoicing:run-detail"\} (\d+)',
            exposed,
        )
        assert polled and int(polled.group(1)) >= 2
        assert tenant.slug not in exposed
    finally:
        for process in processes:
            _stop(process)
    with activate(tenant):
        issued = Invoice.objects.filter(run_id=run_pk).exclude(status=InvoiceStatus.DRAFT)
        numbers = sorted(issued.values_list("sequence_number", flat=True))
        assert numbers == list(range(1, PROJECTS + 1))
        assert run.invoices_issued == PROJECTS
