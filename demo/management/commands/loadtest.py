"""`manage.py loadtest` (and `make loadtest`): serve the app with gunicorn as in production, log
in, drive each page of issue 18's table with wrk on loopback, and print requests per second,
p50 and p99 beside the bare view's (the session-and-user yardstick, `/probe/`) measured by the
same server in the same run.

    manage.py seed_scale --tenant large        # once: the large tenant
    manage.py loadtest --tenant large --duration 10 --connections 8
    manage.py loadtest --tenant large --duration 5 --rounds 3   # medians of three rounds
    manage.py loadtest --pages project,registrations            # only those pages

It needs Debian's `wrk` (apt-get install wrk) and a database the server can reach
(DATABASE_URL; PostgreSQL for figures worth comparing). The server listens on 127.0.0.1 only
and stops when the command ends; every run is bounded by --duration per page.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count
from django.urls import reverse

from accounts.platform.models import Tenant
from accounts.platform.tenancy import activate
from demo.management.commands.seed_demo import DEMO_PASSWORD
from projects.models import Project


@dataclass
class Result:
    page: str
    path: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: str
    ratio: float = 0.0  # req/s ÷ the bare view's, in the same round


class Command(BaseCommand):
    help = "Load-test the main pages with gunicorn and wrk against a (large) tenant."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", default="large")
        parser.add_argument("--user", default="", help="default admin@<tenant>.example")
        parser.add_argument("--password", default=DEMO_PASSWORD)
        parser.add_argument("--duration", type=int, default=10, help="seconds per page")
        parser.add_argument("--connections", type=int, default=8)
        parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
        parser.add_argument("--port", type=int, default=0, help="default: a free port")
        parser.add_argument(
            "--rounds",
            type=int,
            default=1,
            help="measure every page this many times, in turn, and print the medians: a shared "
            "machine's speed drifts, and each round's ratios are to that round's bare view",
        )
        parser.add_argument(
            "--pages",
            default="",
            help="only the pages whose names contain one of these comma-separated words "
            "(e.g. 'project,registrations'); the bare view is always measured",
        )

    def handle(self, *args, **options):
        if shutil.which("wrk") is None:
            raise CommandError("wrk is not installed: apt-get install wrk")
        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(
                f"No tenant “{options['tenant']}”: build one with "
                f"`manage.py seed_scale --tenant {options['tenant']}`."
            )
        pages = self.pages(tenant)
        pages = chosen(pages, options["pages"])
        # The server runs as in production (DEBUG off): static files come from the collected,
        # hashed copies, which a fresh checkout does not have yet.
        call_command("collectstatic", interactive=False, verbosity=0)
        port = options["port"] or _free_port()
        server = self.serve(port, options["workers"])
        try:
            _wait_for(port)
            cookie = _log_in(
                port, options["user"] or f"admin@{tenant.slug}.example", options["password"]
            )
            rounds = [
                [
                    self.measure(port, cookie, name, path, options)
                    for name, path in [("bare view", "/probe/"), *pages]
                ]
                for _round in range(max(1, options["rounds"]))
            ]
            results = medians(rounds)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        self.report(results, options)

    def pages(self, tenant) -> list[tuple[str, str]]:
        slug = {"tenant_slug": tenant.slug}
        with activate(tenant):
            projects = Project.objects.annotate(rows=Count("registrations")).order_by("-rows")
            biggest = projects.values_list("pk", flat=True).first()
        if biggest is None:
            raise CommandError(f"{tenant} has no projects: seed it first.")
        project = reverse("projects:project-detail", kwargs={**slug, "pk": biggest})
        return [
            ("accounts list", reverse("accounts:account-list", kwargs=slug)),
            ("projects list", reverse("projects:project-list", kwargs=slug)),
            ("invoices list", reverse("invoicing:invoice-list", kwargs=slug)),
            (
                "invoices list (filtered)",
                reverse("invoicing:invoice-list", kwargs=slug) + "?status=issued",
            ),
            ("project detail", project),
            (
                "registrations tab",
                reverse(
                    "projects:project-tab", kwargs={**slug, "pk": biggest, "tab": "registrations"}
                ),
            ),
            ("dashboard", reverse("dashboard", kwargs=slug)),
            ("profitability report", reverse("reporting:profitability", kwargs=slug)),
        ]

    def serve(self, port: int, workers: int) -> subprocess.Popen:
        env = {
            **os.environ,
            "DEBUG": "0",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or "loadtest-" + "x" * 50,
            "ALLOWED_HOSTS": "127.0.0.1",
            # Requests say they came through TLS (X-Forwarded-Proto), as behind the production
            # proxy: no redirect to https, secure cookies as in production.
            "BEHIND_TLS_PROXY": "1",
        }
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--log-level",
            "warning",
            # gunicorn.conf.py's worker recycling (max_requests) would restart workers in the
            # middle of a page's measurement and show up in its p99.
            "--max-requests",
            "0",
        ]
        return subprocess.Popen(command, env=env)

    def measure(self, port, cookie, name, path, options) -> Result:
        # Warm every worker (concurrent requests land on different ones): cached figures
        # (reporting.freshness) are computed once per worker and version; the table measures
        # the steady state, as between two writes.
        with ThreadPoolExecutor(options["workers"]) as pool:
            statuses = set(
                pool.map(lambda _n: _get(port, path, cookie), range(options["workers"] * 2))
            )
        status = statuses.pop() if len(statuses) == 1 else sorted(statuses)[-1]
        if status != 200:
            raise CommandError(f"{name}: {path} answered {status}, not 200 (is the user a member?)")
        command = [
            "wrk",
            f"--threads={min(2, options['connections'])}",
            f"--connections={options['connections']}",
            f"--duration={options['duration']}s",
            "--latency",
            "--header",
            f"Cookie: {cookie}",
            "--header",
            "X-Forwarded-Proto: https",
            f"http://127.0.0.1:{port}{path}",
        ]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        self.stdout.write(f"  {name}: done")
        return Result(name, path, *_parse_wrk(output))

    def report(self, results: list[Result], options) -> None:
        rounds = max(1, options["rounds"])
        self.stdout.write(
            f"\n{options['workers']} sync workers, {options['connections']} connections, "
            f"{options['duration']} s per page"
            + (f", medians of {rounds} rounds" if rounds > 1 else "")
            + "\n"
        )
        self.stdout.write(f"{'page':28} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'÷ bare':>7}")
        for result in results:
            self.stdout.write(
                f"{result.page:28} {result.rps:8.1f} {result.p50_ms:8.1f} {result.p99_ms:8.1f} "
                f"{result.ratio:7.3f}{'  ' + result.errors if result.errors else ''}"
            )


def chosen(pages: list[tuple[str, str]], words: str) -> list[tuple[str, str]]:
    """The pages whose names contain one of the comma-separated `words` (all when empty)."""
    wanted = [word.strip() for word in words.split(",") if word.strip()]
    if not wanted:
        return pages
    found = [(name, path) for name, path in pages if any(word in name for word in wanted)]
    if not found:
        raise CommandError(
            f"No page's name contains any of: {', '.join(wanted)} "
            f"(the pages: {', '.join(name for name, _path in pages)})"
        )
    return found


def medians(rounds: list[list[Result]]) -> list[Result]:
    """Each page's median req/s, p50 and p99 over the rounds, and the median of its ratios to
    the bare view of the same round (the first result of each round)."""
    combined = []
    for page_results in zip(*rounds, strict=True):
        bares = [round_[0].rps or 1 for round_ in rounds]
        first = page_results[0]
        errors = sorted({result.errors for result in page_results if result.errors})
        combined.append(
            Result(
                first.page,
                first.path,
                statistics.median(result.rps for result in page_results),
                statistics.median(result.p50_ms for result in page_results),
                statistics.median(result.p99_ms for result in page_results),
                "; ".join(errors),
                statistics.median(
                    result.rps / bare for result, bare in zip(page_results, bares, strict=True)
                ),
            )
        )
    return combined


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise CommandError("gunicorn did not start within 30 s: see its output above.")


HEADERS = {"X-Forwarded-Proto": "https", "Host": "127.0.0.1"}


def _request(port, method, path, cookie="", body=None, extra=None):
    # Generous: on a loaded machine the workers may still be starting (the bind comes first).
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {**HEADERS, **(extra or {})}
    if cookie:
        headers["Cookie"] = cookie
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    response.read()
    return response


def _cookies(response) -> dict[str, str]:
    found = {}
    for header, value in response.getheaders():
        if header.lower() == "set-cookie":
            name, _, rest = value.partition("=")
            found[name] = rest.split(";", 1)[0]
    return found


def _get(port, path, cookie) -> int:
    return _request(port, "GET", path, cookie).status


def _log_in(port: int, email: str, password: str) -> str:
    page = _request(port, "GET", "/login/")
    csrf = _cookies(page).get("csrftoken")
    if not csrf:
        raise CommandError("The login page set no CSRF cookie.")
    body = urllib.parse.urlencode(
        {"username": email, "password": password, "csrfmiddlewaretoken": csrf}
    )
    response = _request(
        port,
        "POST",
        "/login/",
        cookie=f"csrftoken={csrf}",
        body=body,
        extra={
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": "https://127.0.0.1",
            "Referer": "https://127.0.0.1/login/",
        },
    )
    session = _cookies(response).get("sessionid")
    if response.status != 302 or not session:
        raise CommandError(f"Could not log in as {email} (status {response.status}).")
    return f"sessionid={session}; csrftoken={csrf}"


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _milliseconds(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * UNITS[unit]


def _parse_wrk(output: str) -> tuple[float, float, float, str]:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = _milliseconds(re.search(r"\s50%\s+(\S+)", output).group(1))
    p99 = _milliseconds(re.search(r"\s99%\s+(\S+)", output).group(1))
    errors = []
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        errors.append(f"{match.group(1)} non-2xx")
    if match := re.search(r"Socket errors: (.+)", output):
        errors.append(f"socket errors: {match.group(1)}")
    return rps, p50, p99, "; ".join(errors)
