"""Issue 17: every htmx form shows its errors. Saving an agreed price with quantity -5 got a 422
that htmx did not swap in, and the old green "Agreed prices saved." stayed on screen."""

import json
import re
from pathlib import Path

from django.contrib.staticfiles import finders

from accounts.platform.tenancy import activate
from agreements.models import Interest
from tests.factories import AccountFactory, BookingFactory, ProductFactory


def _htmx_config() -> dict:
    """The configuration app.js gives htmx (loaded after htmx on every page)."""
    source = Path(finders.find("js/app.js")).read_text()
    rules = re.search(r"htmx\.config\.responseHandling = (\[.*?\]);", source, re.S).group(1)
    return {"responseHandling": json.loads(rules)}


def _htmx_handling(config: dict, status: int) -> dict:
    """What htmx 2 does with an answer: the first rule whose code (a regular expression,
    tested unanchored, as htmx's `RegExp.test`) matches the status."""
    return next(rule for rule in config["responseHandling"] if re.search(rule["code"], str(status)))


def test_htmx_swaps_a_forms_error_answer_and_reports_other_errors(world_a, client_for):
    page = client_for(world_a.staff).get("/alpha/").content.decode()
    assert page.index("vendor/htmx/htmx.min.js") < page.index("js/app.js"), "htmx, then app.js"
    config = _htmx_config()
    for status in (422, 400):  # the form again, with what to change
        assert _htmx_handling(config, status) == {
            "code": str(status),
            "swap": True,
            "error": False,
        }
    for status in (403, 404, 409, 500):  # not swapped: app.js says it failed
        rule = _htmx_handling(config, status)
        assert rule["swap"] is False and rule["error"] is True
    assert _htmx_handling(config, 200)["swap"] is True
    assert _htmx_handling(config, 204)["swap"] is False


def test_an_invalid_htmx_save_answers_with_the_form_and_its_errors(world_a, client_for):
    booking = BookingFactory(account=AccountFactory(tenant=world_a.tenant))
    course = ProductFactory(tenant=world_a.tenant, code="LEAD-1")
    client = client_for(world_a.staff)
    url = f"/alpha/bookings/{booking.pk}/interests/save/"
    data = {
        "interests-TOTAL_FORMS": "1",
        "interests-INITIAL_FORMS": "0",
        "interests-0-product": course.pk,
        "interests-0-unit_price": "1200",
        "interests-0-committed_quantity": "40",
    }
    saved = client.post(url, data, HTTP_HX_REQUEST="true")
    assert "Agreed prices saved." in saved.content.decode()
    with activate(world_a.tenant):
        interest = Interest.objects.get()
    data |= {
        "interests-TOTAL_FORMS": "2",
        "interests-INITIAL_FORMS": "1",
        "interests-0-id": interest.pk,
        "interests-0-committed_quantity": "-5",
    }
    refused = client.post(url, data, HTTP_HX_REQUEST="true")
    fragment = refused.content.decode()
    assert refused.status_code == 422  # swapped in, per the configuration above
    assert "<html" not in fragment, "the tab alone, swapped into #tab-body"
    assert "Agreed prices saved." not in fragment, "the answer replaces the stale message"
    assert "greater than or equal to 0" in fragment
    assert re.search(r'name="interests-0-committed_quantity"[^>]*is-invalid', fragment) or (
        re.search(r'is-invalid[^>]*name="interests-0-committed_quantity"', fragment)
    ), "the field itself is marked"
    with activate(world_a.tenant):
        assert Interest.objects.get().committed_quantity == 40


def test_pages_keep_their_messages_where_htmx_can_clear_them(world_a, client_for):
    """The messages sit in one box (#messages) that app.js empties when an htmx form is sent,
    so a message of an earlier request never stands beside a new answer."""
    page = client_for(world_a.staff).get("/alpha/").content.decode()
    assert '<div id="messages" aria-live="polite">' in page
    source = Path(finders.find("js/app.js")).read_text()
    assert "htmx:beforeRequest" in source and "htmx:responseError" in source
