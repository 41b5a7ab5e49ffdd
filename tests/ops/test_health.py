"""/healthz answers without the database; /readyz checks database, storage and task queue and
answers 503, naming only the failed check, when one fails."""

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client, override_settings

ROOT = Path(__file__).resolve().parents[2]
SECRET = "db-host-secret.internal password=hunter2"


def test_liveness_answers_without_touching_the_database():
    """No database mark: any query here would fail the test."""
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readiness_checks_database_storage_and_task_queue():
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "storage": "ok", "task_queue": "ok"},
    }


@pytest.mark.django_db
def test_a_failing_database_makes_readiness_503_without_its_error_text(monkeypatch, caplog):
    def broken(self):
        raise OperationalError(f"connection to server at {SECRET} failed")

    monkeypatch.setattr(BaseDatabaseWrapper, "temporary_connection", broken)
    response = Client().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "unavailable"
    assert body["checks"]["storage"] == "ok"
    assert SECRET not in response.content.decode()
    assert any("database" in record.getMessage() for record in caplog.records)


@pytest.mark.django_db
@override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}})
def test_an_unreadable_task_queue_makes_readiness_503(monkeypatch):
    import config.metrics

    def unreachable():
        raise ConnectionError("redis://secret-host:6379 refused")

    monkeypatch.setattr(config.metrics, "queue_depths", unreachable)
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {
        "database": "ok",
        "storage": "ok",
        "task_queue": "unavailable",
    }
    assert "secret-host" not in response.content.decode()


@pytest.mark.django_db
def test_health_answers_carry_no_tenant_data(world_a, client_for):
    """Signed in or not, nothing about a company is in the answers."""
    client = client_for(world_a.admin)
    for path in ("/healthz", "/readyz"):
        text = json.dumps(client.get(path).json())
        assert world_a.tenant.slug not in text
        assert world_a.tenant.name not in text


def _production_exemptions() -> list[str]:
    """SECURE_REDIRECT_EXEMPT as the settings make it with DEBUG off."""
    code = "from config import settings as s; print(repr(s.SECURE_REDIRECT_EXEMPT))"
    output = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), "SECRET_KEY": "x" * 60, "DEBUG": "0"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return ast.literal_eval(output.strip())


@pytest.mark.django_db
def test_probes_are_answered_over_plain_http():
    """A load balancer's probe calls the app server directly: no redirect to https for the
    probes, while pages are still redirected."""
    with override_settings(
        SECURE_SSL_REDIRECT=True, SECURE_REDIRECT_EXEMPT=_production_exemptions()
    ):
        client = Client()
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 200
        assert client.get("/probe/").status_code == 301


def test_the_favicon_answers(client, db):
    """Issue 17: /favicon.ico was 404; it leads to the vendored icon."""
    response = client.get("/favicon.ico")
    from django.contrib.staticfiles import finders

    assert response.status_code == 302 and response["Location"] == "/static/favicon.svg"
    assert finders.find("favicon.svg"), "the icon is vendored under static/"
