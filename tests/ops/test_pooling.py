"""Django's psycopg pool (DATABASE_POOL=1) keeps row-level security: a connection handed back
to the pool and taken again by the next request never carries the previous tenant."""

import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.db import connection

from accounts.models import Account
from tests.factories import AccountFactory

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import json, sys
import django
django.setup()
from django.conf import settings
from django.conf import settings
from django.db import connection
from accounts.platform.models import Tenant
from accounts.platform.tenancy import activate

table, a, b = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
assert settings.DATABASES["default"]["OPTIONS"]["pool"]["max_size"] == 1
assert settings.DATABASES["default"]["CONN_MAX_AGE"] == 0

def state():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_backend_pid(), current_user, current_setting('app.tenant_id', true), "
            f"current_setting('app.bypass', true), (SELECT count(*) FROM {table})"
        )
        return list(cursor.fetchone())

seen = {}
tenant_a, tenant_b = Tenant.objects.get(pk=a), Tenant.objects.get(pk=b)
connection.close()  # back to the pool
with activate(tenant_a):
    seen["a"] = state()
    connection.close()  # the end of a request inside the scope: back to the pool
seen["after a"] = state()
connection.close()
with activate(tenant_b):
    seen["b"] = state()
    connection.close()
    seen["b again"] = state()  # taken from the pool again inside the scope
connection.close()
seen["after b"] = state()
print(json.dumps(seen))
"""


def test_pooled_connections_never_carry_the_previous_tenant(postgres_only, world_a, world_b):
    AccountFactory.create_batch(3, tenant=world_a.tenant)
    AccountFactory.create_batch(2, tenant=world_b.tenant)
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "DATABASE_POOL": "1",
        "DATABASE_POOL_MIN_SIZE": "1",
        "DATABASE_POOL_MAX_SIZE": "1",  # one connection: every checkout is the same one
    }
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            SCRIPT,
            Account._meta.db_table,
            str(world_a.tenant.pk),
            str(world_b.tenant.pk),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    pids = {row[0] for row in seen.values()}
    assert len(pids) == 1, "the pool handed out another connection: the test proves nothing"
    role = settings.DATABASE_APP_ROLE
    if role.lower() == "none":
        role = db["USER"]
    a, b = str(world_a.tenant.pk), str(world_b.tenant.pk)
    assert seen["a"][1:] == [role, a, "off", 3]
    assert seen["after a"][1:] == [role, "", "off", 0]
    assert seen["b"][1:] == [role, b, "off", 2]
    assert seen["b again"][1:] == [role, b, "off", 2]
    assert seen["after b"][1:] == [role, "", "off", 0]
