"""A client's visit to their own page opens that page and nothing else.

Every URL pattern of the project (tests/security/urlwalk.py, the admin's included), filled
with the visiting client's own ids, is asked GET and POST with only the visit's cookie: a
staff page answers with a redirect to sign-in or a 404, never a 200, and answers exactly as
it does for a browser with no cookie at all. Public pages (sign-in, the published meetings,
the email links) are public to everyone alike, and must answer the same with or without the
visit too.
"""

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.test import Client as Browser
from django.urls import reverse

from clients.models import Client
from clients.tokens import Purpose, make_token
from tests.security.test_idor import (
    ROUTES_WALKED,
    ClientVisit,
    Ids,
    Monitoring,
    NoIds,
    _value,
    classify,
)

# Answered for anyone, signed in or not (the same with the visit as without it).
PUBLIC = {
    "",  # the home page sends everyone to sign-in
    "sign-in/",
    "csp-report/",
    "favicon.ico",
    "welcome/<str:token>/",
    "meetings/published/",
    "meetings/published/<slug:slug>/",
    "meetings/published/<slug:slug>/meetings.json",
    "admin/login/",
    "admin/logout/",  # signs out whoever is signed in, or no one
}
SIGN_IN_PREFIXES = ("/sign-in/", "/admin/login/")


def _own_id(route, key, world) -> int:
    try:
        return _value(world.ours, key, route, world)
    except KeyError:
        # An admin page of the shared catalogue or of the operator's rows: any real row.
        model = route.model_admin.model
        return model._base_manager.values_list("pk", flat=True).first() or 1


def _fill(route, world) -> str:
    spec = classify(route)
    if isinstance(spec, Ids):
        return route.path(**{name: _own_id(route, key, world) for name, key in spec.path.items()})
    if isinstance(spec, NoIds):
        return route.path(**spec.fixed)
    if spec == "view_on_site" or route.params:
        # Shared catalogue ids, a token or the admin's "view on site": our own real ids.
        values = dict.fromkeys(route.params, world.meeting.pk)
        if "token" in route.params:
            values["token"] = make_token(Purpose.ANSWER, world.ours.reminder.pk)
        if "slug" in route.params:
            values["slug"] = "list-ours"
        if spec == "view_on_site":
            values = {
                "content_type_id": ContentType.objects.get_for_model(Client).pk,
                "object_id": world.ours.client.pk,
            }
        return route.path(**values)
    return route.path()


def _answer(browser: Browser, method: str, url: str):
    response = getattr(browser, method)(url)
    assert response.status_code < 500, f"{method.upper()} {url} -> {response.status_code}"
    return response.status_code, response.get("Location", "")


@pytest.fixture
def visiting(world):
    """A browser holding an open visit to our client's page, as an email's link leaves it."""
    browser = Browser()
    link = reverse("responses:page", args=[make_token(Purpose.PAGE, world.ours.client.pk)])
    assert browser.get(link).status_code == 302
    assert browser.get(reverse("own_page:home")).status_code == 200
    return browser


@pytest.mark.parametrize("route", ROUTES_WALKED, ids=lambda route: route.template)
def test_a_client_visit_reaches_no_staff_page(route, world, visiting):
    if isinstance(classify(route), ClientVisit | Monitoring):
        pytest.skip("the client's own page, or monitoring (503 with no worker running here)")
    url = _fill(route, world)
    for method in ("get", "post"):
        with_visit = _answer(visiting, method, url)
        without = _answer(Browser(), method, url)
        assert with_visit == without, f"{method.upper()} {url}: {with_visit} vs {without}"
        if route.template in PUBLIC or route.template.startswith("r/"):
            continue
        status, location = with_visit
        assert status != 200, f"{method.upper()} {url} answered 200 to a client's visit"
        if status == 302:
            assert location.startswith(SIGN_IN_PREFIXES), f"{url} -> {location}"
        else:
            assert status in (400, 401, 403, 404, 405), f"{method.upper()} {url} -> {status}"
    # The visit is still open: the walk neither used it up nor widened it.
    assert visiting.get(reverse("own_page:home")).status_code == 200


def test_the_visit_cookie_is_sent_to_the_clients_page_only(world):
    response = Browser().get(
        reverse("responses:page", args=[make_token(Purpose.PAGE, world.ours.client.pk)])
    )
    assert response.cookies[settings.CLIENT_PAGE_COOKIE_NAME]["path"] == "/me/"


def test_a_visit_starts_no_staff_session(visiting):
    assert settings.SESSION_COOKIE_NAME not in visiting.cookies
