"""Request ids (taken when sane, else made, echoed) and JSON log lines that carry the request id,
the company's slug and the user's id, and never an e-mail."""

import io
import json
import logging

import pytest
from django.db import DataError
from django.test import Client
from django.urls import path

from accounts.platform.middleware import sane_request_id
from config.logging import JsonFormatter, RequestContextFilter
from config.urls import urlpatterns as base_patterns

log = logging.getLogger("tests.ops")


@pytest.fixture
def json_lines():
    """Every log line written while the fixture is on, as LOG_FORMAT=json writes it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)


def test_sane_request_ids_are_kept_and_others_replaced():
    assert sane_request_id("3f2a9c1e-77b0-4d6a-9e0e-2f1d5c3b8a10") is not None
    assert sane_request_id("Root=1-67891233-abcdef012345678912345678") is not None
    for bad in ("", "a b", "x" * 129, "<script>", "id\nInjected: yes", "ünïcode"):
        assert sane_request_id(bad) is None


@pytest.mark.django_db
def test_the_request_id_is_echoed_or_made():
    client = Client()
    given = client.get("/healthz", HTTP_X_REQUEST_ID="lb-1234-abcd")
    assert given["X-Request-ID"] == "lb-1234-abcd"
    made = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\r\n")
    assert made["X-Request-ID"] != "bad id\r\n" and len(made["X-Request-ID"]) == 32
    other = client.get("/healthz")
    assert other["X-Request-ID"] != made["X-Request-ID"]


def failing_view(request):
    log.info("inside the view")
    raise DataError("value too long for type character varying(200)")


urlpatterns = [path("<slug:tenant_slug>/ops-fails/", failing_view), *base_patterns]


@pytest.mark.django_db
@pytest.mark.urls("tests.ops.test_logging")
def test_json_lines_carry_request_id_tenant_and_user_id_and_the_error_reference(
    world_a, client_for, json_lines
):
    user = world_a.staff
    response = client_for(user).get(
        f"/{world_a.tenant.slug}/ops-fails/", HTTP_X_REQUEST_ID="req-42"
    )
    # FriendlyErrorMiddleware answers with a reference the user can quote.
    assert response.status_code == 400
    assert response["X-Request-ID"] == "req-42"
    lines = json_lines()
    ours = [line for line in lines if line["request_id"] == "req-42"]
    assert {line["message"] for line in ours} >= {"inside the view"}
    error = next(line for line in ours if "reference" in line["message"])
    assert error["level"] == "ERROR" and "DataError" in error["exception"]
    reference = error["message"].split("[reference ")[1].rstrip("]")
    assert reference in response.content.decode()
    for line in ours:
        assert line["tenant"] == world_a.tenant.slug
        assert line["user_id"] == str(user.pk)
        assert user.username not in json.dumps(line)
        assert user.email not in json.dumps(line) if user.email else True


def test_lines_outside_a_request_say_so(json_lines):
    log.warning("no request here")
    (line,) = [line for line in json_lines() if line["message"] == "no request here"]
    assert (line["request_id"], line["tenant"], line["user_id"]) == ("-", "-", "-")
    assert line["level"] == "WARNING" and line["logger"] == "tests.ops"


@pytest.mark.django_db
def test_lines_of_a_task_carry_its_tenant(tenant_a, json_lines):
    from accounts.platform.tenancy import activate

    with activate(tenant_a):
        log.info("inside a task")
    (line,) = [line for line in json_lines() if line["message"] == "inside a task"]
    assert (line["request_id"], line["tenant"], line["user_id"]) == ("-", tenant_a.slug, "-")
