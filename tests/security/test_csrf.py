"""CSRF on every POST: a browser that enforces the checks and sends no token is refused (403).

Two exemptions: RFC 8058's one-click unsubscribe, which mail providers POST from their own
servers with no cookie and no token (its signed token is the authority there); and the Content
Security Policy's report address, which browsers post to without a token and which changes
nothing but a log line.
"""

import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client as HttpClient

from clients.models import Client, Reminder
from clients.tokens import Purpose, make_token
from recovery.models import AuditEvent
from tests.security.conftest import World, practice_rows
from tests.security.test_idor import (
    ADMIN_MODELS,
    OBJECT,
    ROUTES_WALKED,
    SHARED,
    Ids,
    NoIds,
    SignedLink,
    classify,
)
from tests.security.urlwalk import Route

# The routes CSRF does not guard, with why. Anything else csrf_exempt fails the test.
EXEMPT = {
    "r/u/<str:token>/": "RFC 8058 one-click unsubscribe: providers POST with no cookie",
    "csp-report/": "browsers post CSP violation reports without a token; it only logs",
    # The client's own page sends Referrer-Policy: no-referrer, under which browsers POST
    # with "Origin: null", which Django's check refuses; each of its forms carries a token
    # made from the visit instead (test_the_client_pages_forms_need_the_visits_token).
    **{
        f"me/{tail}": "the client's page: the visit's own form token stands in"
        for tail in ("", "answer/", "reminders/", "pause/", "resume/", "stop/", "leave/")
    },
}
SIGNED_LINK_PURPOSES = {
    "r/a/<str:token>/": Purpose.ANSWER,
    "r/u/<str:token>/": Purpose.UNSUBSCRIBE,
    "r/j/<str:token>/": Purpose.JOIN,
    "r/q/<str:token>/": Purpose.MEASURE,
    "r/p/<str:token>/": Purpose.PAGE,
}


def _own_url(route: Route, world: World) -> str:
    """The route filled with valid ids of our own practice: a POST that would otherwise work."""
    spec = classify(route)
    assert spec is not None, f"{route} is not classified (see test_idor.py)"
    ours = world.ours
    if spec == "view_on_site":
        content_type = ContentType.objects.get_for_model(Client)
        return route.path(content_type_id=content_type.pk, object_id=ours.client.pk)
    if isinstance(spec, SignedLink):
        return route.path(token=make_token(SIGNED_LINK_PURPOSES[route.template], ours.reminder.pk))
    if isinstance(spec, NoIds):
        return route.path(**spec.fixed)
    values = {}
    for name in route.params:
        key = spec.path.get(name, OBJECT) if isinstance(spec, Ids) else SHARED
        if key == OBJECT:
            key = ADMIN_MODELS[route.model_admin.model._meta.label]
        if key == SHARED:
            model = route.model_admin.model if route.model_admin else None
            if model is None or model._meta.label == "groups.Meeting":
                values[name] = world.meeting.pk
            elif model._meta.label == "groups.Feed":
                values[name] = world.feed.pk
            else:
                values[name] = model._base_manager.order_by("pk").values_list("pk", flat=True)[0]
        else:
            row = getattr(ours, key, None) or ours.extra.get(key)
            # Rows the world does not build (heartbeats, sign-in devices) get a made-up id:
            # the CSRF check refuses before any view looks a row up.
            values[name] = row.pk if row is not None else 1
    return route.path(**values)


def _enforcing_browser(user, as_user) -> HttpClient:
    """Signed in (past two-factor) exactly as `as_user`, but checking CSRF like a browser."""
    browser = HttpClient(enforce_csrf_checks=True)
    browser.cookies = as_user(user).cookies
    return browser


def _user_for(route: Route, world: World):
    return world.ours.admin if route.is_admin else world.ours.therapist


def test_only_the_listed_routes_are_exempt():
    exempt = {route.template for route in ROUTES_WALKED if route.csrf_exempt}
    assert exempt == set(EXEMPT)


def test_every_post_without_a_token_is_refused(world, as_user):
    browsers = {
        user.pk: _enforcing_browser(user, as_user)
        for user in (world.ours.admin, world.ours.therapist)
    }
    before = practice_rows(world.ours.practice.pk)  # after signing in, which is recorded
    refused = []
    for route in ROUTES_WALKED:
        if route.template in EXEMPT:
            continue
        user = _user_for(route, world)
        browser = browsers[user.pk]
        url = _own_url(route, world)
        response = browser.post(url, {"status": "attended", "text": "hello"})
        refused.append(url)
        assert response.status_code == 403, (
            f"POST {url} without a CSRF token -> {response.status_code}"
        )
        assert b"CSRF" in response.content, f"POST {url}: refused, but not by the CSRF check"
    assert len(refused) > 100  # the project's pages and the admin's
    assert practice_rows(world.ours.practice.pk) == before


def test_a_post_with_the_token_gets_through(world, as_user):
    """The control: the same browser, with the token it was given, is let through."""
    browser = _enforcing_browser(world.ours.therapist, as_user)
    browser.get(f"/clients/{world.ours.client.pk}/reminders/")
    token = browser.cookies["csrftoken"].value
    response = browser.post(
        f"/clients/{world.ours.client.pk}/reminders/withdraw/", {"csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    world.ours.client.refresh_from_db()
    assert not world.ours.client.has_email_consent


@pytest.mark.parametrize(
    "body", ["List-Unsubscribe=One-Click", ""], ids=["rfc-8058-body", "empty-body"]
)
def test_the_one_click_unsubscribe_needs_no_token_and_no_cookie(world, body):
    reminder: Reminder = world.ours.reminder
    events = AuditEvent.objects.count()
    provider = HttpClient(enforce_csrf_checks=True)
    response = provider.post(
        f"/r/u/{make_token(Purpose.UNSUBSCRIBE, reminder.pk)}/",
        body,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert "csrftoken" not in response.cookies
    world.ours.client.refresh_from_db()
    assert not world.ours.client.has_email_consent
    assert AuditEvent.objects.count() == events + 1


@pytest.mark.parametrize("tail", ["answer/", "reminders/", "pause/", "resume/", "stop/", "leave/"])
def test_the_client_pages_forms_need_the_visits_token(world, tail):
    """Exempt from Django's check, not from any: without the visit's token, or with another
    visit's, a POST is refused and changes nothing."""
    visitor = HttpClient(enforce_csrf_checks=True)
    visitor.get(f"/r/p/{make_token(Purpose.PAGE, world.ours.client.pk)}/")
    other = HttpClient()
    other.get(f"/r/p/{make_token(Purpose.PAGE, world.theirs.client.pk)}/")
    others_token = re.search(
        r'name="visit_token" value="(\w+)"', other.get("/me/").content.decode()
    ).group(1)
    before = practice_rows(world.ours.practice.pk)
    for body in ({}, {"visit_token": "0" * 64}, {"visit_token": others_token}):
        response = visitor.post(f"/me/{tail}", {**body, "weeks": "1"})
        assert response.status_code == 403, (tail, body, response.status_code)
    assert practice_rows(world.ours.practice.pk) == before
    assert visitor.get("/me/").status_code == 200  # the visit itself is still open
