"""Log records that say which request, company and user they belong to.

`RequestContextFilter` (on the console handler) adds to every record `request_id`, `tenant` (the
company's slug) and `user_id`, read from the request being served (`RequestIdMiddleware` in
accounts/platform/middleware.py); outside a request (a task, a command) the tenant is the one
whose scope is active; "-" for what is not known. Only ids and the slug, which is in
every URL anyway: never a user's e-mail or name, nor a row's text.

`JsonFormatter` (LOG_FORMAT=json) writes one JSON object per line: time, level, logger, message,
those three fields, and the traceback when there is one.
"""

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime

NONE = "-"

# The request being served in this thread or context, set by RequestIdMiddleware. It lives here,
# in a module that imports nothing of Django, because logging is configured before the apps load.
current_request: ContextVar = ContextVar("current_request", default=None)


def _active_tenant():
    """The tenant whose scope is active (a task, a command), once the apps are loaded."""
    from django.apps import apps

    if not apps.ready:
        return None
    from accounts.platform.tenancy import current_tenant

    return current_tenant()


def request_context() -> dict[str, str]:
    request = current_request.get()
    if request is None:
        tenant = _active_tenant()
        return {
            "request_id": NONE,
            "tenant": tenant.slug if tenant is not None else NONE,
            "user_id": NONE,
        }
    tenant = getattr(request, "tenant", None) or _active_tenant()
    # The user as AuthenticationMiddleware loaded it, if it did: a log line never makes a query.
    user = getattr(request, "_cached_user", None)
    user_id = getattr(user, "pk", None) if getattr(user, "is_authenticated", False) else None
    return {
        "request_id": getattr(request, "request_id", NONE),
        "tenant": tenant.slug if tenant is not None else NONE,
        "user_id": str(user_id) if user_id is not None else NONE,
    }


class RequestContextFilter(logging.Filter):
    def filter(self, record):
        for key, value in request_context().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "tenant", "user_id"):
            entry[key] = getattr(record, key, NONE)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str)
