"""The bare view of the load test (`manage.py loadtest`): it loads the session and the user and
renders nothing, so its requests per second are the yardstick every page is measured against."""

from django.http import HttpResponse
from django.views.decorators.http import require_GET


@require_GET
def session_probe(request):
    signed_in = request.user.is_authenticated  # reads the session and the user, as pages do
    return HttpResponse("ok" if signed_in else "anonymous", content_type="text/plain")
