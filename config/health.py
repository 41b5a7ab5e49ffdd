"""Health endpoints for load balancers and orchestrators (django-health-check).

- `/healthz` (liveness): the process answers. Touches nothing else (no database): a database
  outage must not make an orchestrator restart every app server.
- `/readyz` (readiness): the database answers a query, the file storage saves, reads and deletes a
  probe file, and the task queue is reachable (the database backend's table, or Redis for RQ).
  200 when all are well, 503 otherwise, so a load balancer stops sending traffic.

Both answer JSON that names only the checks and "ok" or "unavailable": never an error's text (a
database error names hosts and users), never a company's data. The failures go to the log.
"""

import dataclasses
import logging

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from health_check import Database, HealthCheck, Storage
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class TaskQueue(HealthCheck):
    """The configured task backend's queue can be read (config.metrics.queue_depths)."""

    def run(self):
        from config.metrics import queue_depths

        try:
            queue_depths()
        except Exception as error:
            raise ServiceUnavailable("The task queue cannot be read") from error


CHECKS = {"database": Database, "storage": Storage, "task_queue": TaskQueue}


@never_cache
@require_GET
def liveness(request):
    return JsonResponse({"status": "ok"})


class ReadinessView(HealthCheckView):
    checks = tuple(CHECKS.values())

    async def get(self, request, *args, **kwargs):
        import asyncio

        with self.get_executor() as executor:
            results = await asyncio.gather(
                *(check.get_result(executor) for check in self.get_checks())
            )
        names = {check: name for name, check in CHECKS.items()}
        answers = {}
        for result in results:
            name = names[type(result.check)]
            answers[name] = "unavailable" if result.error else "ok"
            if result.error:
                logger.error("Readiness check %s failed: %s", name, result.error)
        healthy = all(answer == "ok" for answer in answers.values())
        return JsonResponse(
            {"status": "ok" if healthy else "unavailable", "checks": answers},
            status=200 if healthy else 503,
        )


readiness = ReadinessView.as_view()
