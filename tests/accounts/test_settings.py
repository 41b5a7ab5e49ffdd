"""Settings come from the environment and are secure whenever DEBUG is off."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args, **env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DEBUG",
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
            "DATABASE_URL",
            "DJANGO_SETTINGS_MODULE",
            "TASKS_BACKEND",
            "SECURE_SSL_REDIRECT",
        }
    }
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_reports_nothing_with_only_the_three_settings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY="x" * 20 + "-production-secret-key-abcdefghijklmnopqrstuvw",
        ALLOWED_HOSTS="training.example.com",
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_without_debug_a_secret_key_is_required():
    result = run_manage("check", "--deploy", DEBUG="0", ALLOWED_HOSTS="example.com")
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr + result.stdout
    # Commands that sign nothing still run (the key is empty, never a default one).
    assert run_manage("makemigrations", "--check", "--dry-run", DEBUG="0").returncode == 0
    printed = run_manage(
        "shell",
        "-c",
        "from django.conf import settings; print(repr(settings._wrapped.SECRET_KEY))",
        DEBUG="0",
    )
    assert "''" in printed.stdout


def test_a_malformed_boolean_fails_loudly(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG"):
        env_bool("SOME_FLAG")
    monkeypatch.setenv("SOME_NUMBER", "ten")
    with pytest.raises(ImproperlyConfigured, match="SOME_NUMBER"):
        env_int("SOME_NUMBER", 1)


def test_the_database_comes_from_database_url():
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings; db = settings.DATABASES['default'];"
        "print(db['ENGINE'], db['NAME'])",
        DEBUG="1",
        DATABASE_URL="postgres://u@db.example:5432/training",
    )
    assert "postgresql training" in result.stdout, result.stderr


def test_sqlite_queues_writers_instead_of_failing():
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS'])",
        DEBUG="1",
        DATABASE_URL="sqlite:////tmp/x.sqlite3",
    )
    assert "IMMEDIATE" in result.stdout and "journal_mode=WAL" in result.stdout, result.stderr


def test_background_work_uses_the_database_backend_by_default():
    result = run_manage(
        "shell", "-c", "from django.conf import settings; print(settings.TASKS)", DEBUG="1"
    )
    assert "django_tasks_db.DatabaseBackend" in result.stdout, result.stderr
