"""The operations settings read from the environment: the task backend, S3 storage, the
connection pool, the log format and gunicorn's configuration."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

READ = """
import json
from config import settings as s
db = s.DATABASES["default"]
print(json.dumps({
    "tasks": s.TASKS["default"]["BACKEND"],
    "apps": s.INSTALLED_APPS,
    "storage": s.STORAGES["default"],
    "conn_max_age": db["CONN_MAX_AGE"],
    "pool": db.get("OPTIONS", {}).get("pool"),
    "log_formatter": s.LOGGING["handlers"]["console"]["formatter"],
    "cache": s.CACHES["default"],
}))
"""


def settings_with(**env) -> dict:
    clean = {k: v for k, v in os.environ.items() if k not in {"TASKS_BACKEND", "DATABASE_URL"}}
    result = subprocess.run(
        [sys.executable, "-c", READ],
        cwd=ROOT,
        env={**clean, "DEBUG": "1", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr.strip().splitlines()[-1])
    return json.loads(result.stdout)


def test_the_database_task_backend_is_the_default():
    read = settings_with()
    assert read["tasks"] == "django_tasks_db.DatabaseBackend"
    assert "django_rq" not in read["apps"]


def test_tasks_backend_rq_selects_rq_on_redis():
    read = settings_with(TASKS_BACKEND="rq")
    assert read["tasks"] == "django_tasks_rq.RQBackend"
    assert "django_rq" in read["apps"]


def test_storage_backend_s3_keeps_the_bucket_private():
    read = settings_with(
        STORAGE_BACKEND="s3",
        S3_BUCKET="media",
        S3_ENDPOINT_URL="http://127.0.0.1:9000",
        S3_ACCESS_KEY_ID="key",
        S3_SECRET_ACCESS_KEY="secret",
    )
    storage = read["storage"]
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    options = storage["OPTIONS"]
    assert options["bucket_name"] == "media"
    assert options["endpoint_url"] == "http://127.0.0.1:9000"
    assert options["default_acl"] is None and options["querystring_auth"] is True
    assert options["file_overwrite"] is False
    with pytest.raises(RuntimeError, match="S3_BUCKET"):
        settings_with(STORAGE_BACKEND="s3")
    with pytest.raises(RuntimeError, match="STORAGE_BACKEND"):
        settings_with(STORAGE_BACKEND="ftp")


def test_the_pool_turns_persistent_connections_off():
    url = "postgres://app@db.example:5432/frameworks"
    plain = settings_with(DATABASE_URL=url)
    assert plain["pool"] is None and plain["conn_max_age"] == 60
    pooled = settings_with(
        DATABASE_URL=url, DATABASE_POOL="1", DATABASE_POOL_MIN_SIZE="2", DATABASE_POOL_MAX_SIZE="8"
    )
    assert pooled["conn_max_age"] == 0
    assert pooled["pool"] == {"min_size": 2, "max_size": 8, "timeout": 10}
    # SQLite has no pool: the switch changes nothing there.
    assert settings_with(DATABASE_POOL="1")["pool"] is None


def test_log_format():
    assert settings_with()["log_formatter"] == "text"
    assert settings_with(LOG_FORMAT="json")["log_formatter"] == "json"
    with pytest.raises(RuntimeError, match="LOG_FORMAT"):
        settings_with(LOG_FORMAT="xml")


GUNICORN = """
import json, runpy
conf = runpy.run_path("gunicorn.conf.py")
print(json.dumps({k: conf[k] for k in (
    "bind", "workers", "worker_class", "threads", "timeout", "max_requests",
    "max_requests_jitter", "access_log_format")}))
"""


def gunicorn_with(script: str = "", **env) -> dict:
    """What `script` (default: the settings gunicorn.conf.py gives) prints as JSON, run in a
    fresh interpreter with `env` and none of the runner's own GUNICORN_* settings."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("GUNICORN_") and k not in {"WEB_CONCURRENCY", "PORT"}
    }
    result = subprocess.run(
        [sys.executable, "-c", script or GUNICORN],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)


def test_gunicorn_runs_two_sync_workers_per_core():
    conf = gunicorn_with()
    assert conf["worker_class"] == "sync" and conf["threads"] == 1
    assert conf["workers"] == 2 * os.cpu_count()
    assert conf["bind"] == "0.0.0.0:8000"
    assert conf["timeout"] > 0 and conf["max_requests"] > 0 and conf["max_requests_jitter"] > 0
    assert "%(M)s" in conf["access_log_format"]  # the request's time
    assert "x-request-id" in conf["access_log_format"]
    changed = gunicorn_with(WEB_CONCURRENCY="3", GUNICORN_BIND="127.0.0.1:9000")
    assert changed["workers"] == 3 and changed["bind"] == "127.0.0.1:9000"


def test_files_are_never_handed_out_by_a_storage_url():
    """Downloads stream through the views that check the company and role (S3 included): no
    code or template asks a stored file for its URL."""
    pattern = re.compile(r"\.(file|pdf|logo|document|upload)\.url\b|storage\.url\(")
    offenders = []
    for folder in ("accounts", "agreements", "projects", "invoicing", "reporting", "templates"):
        for path in (ROOT / folder).rglob("*"):
            if (
                path.suffix in {".py", ".html"}
                and "migrations" not in path.parts
                and pattern.search(path.read_text(encoding="utf-8"))
            ):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


@pytest.mark.parametrize(
    "url, backend, location",
    [
        ("", "django.core.cache.backends.locmem.LocMemCache", None),
        (
            "redis://redis:6379/1",
            "django.core.cache.backends.redis.RedisCache",
            "redis://redis:6379/1",
        ),
        (
            "file:///var/cache/frameworks",
            "django.core.cache.backends.filebased.FileBasedCache",
            "/var/cache/frameworks",
        ),
    ],
)
def test_the_cache_of_the_figures_is_chosen_by_cache_url(url, backend, location):
    """Cached figures (reporting.freshness) live in the default cache: per process by default,
    shared by every app server on Redis, by one host's workers in a directory."""
    cache = settings_with(**({"CACHE_URL": url} if url else {}))["cache"]
    assert cache["BACKEND"] == backend
    assert cache.get("LOCATION") == location


GC_AFTER_WORKER_INIT = """
import gc, json, runpy
conf = runpy.run_path("gunicorn.conf.py")
before = gc.get_freeze_count()
conf["post_worker_init"](None)
print(json.dumps({"frozen": gc.get_freeze_count() - before, "threshold": gc.get_threshold()}))
"""


@pytest.mark.parametrize(
    ("env", "threshold"), [({}, 20000), ({"GUNICORN_GC_THRESHOLD": "5000"}, 5000)]
)
def test_a_worker_freezes_the_loaded_app_for_the_garbage_collector(env, threshold):
    found = gunicorn_with(GC_AFTER_WORKER_INIT, **env)
    assert found["frozen"] > 1000  # the modules and objects loaded so far
    assert found["threshold"] == [threshold, 10, 10]
