"""Another practice's ids, in every URL pattern of the project, as every role: always 404.

The walk takes each pattern from `get_resolver()` (the admin's included), looks its route up
in the tables below, and substitutes the foreign practice's ids one parameter at a time
(the others stay valid ids of our own practice, so the 404 can only come from the foreign
one), then all at once. For each it asks as our therapist, manager and admin, GET and then
POST where the view takes POST. The foreign practice's rows must be unchanged afterwards,
and no page may show any of its text. A route the tables do not know fails the walk.
"""

import re
from dataclasses import dataclass, field

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from tests.security.conftest import FOREIGN_MARK, World, practice_rows
from tests.security.urlwalk import Route, all_routes

# --- What each parameter names ----------------------------------------------------------------

# Keys of PracticeData (tests/security/conftest.py): the object a parameter is the id of.
SHARED = "shared catalogue"  # meetings, programs, feeds: one public catalogue for all practices


@dataclass(frozen=True)
class Ids:
    """Path parameters (and POST fields) that carry ids of practice data."""

    path: dict = field(default_factory=dict)  # parameter -> PracticeData key, or SHARED
    body: dict = field(default_factory=dict)  # POST field -> PracticeData key
    fixed_body: dict = field(default_factory=dict)  # what else the form needs to reach the lookup


@dataclass(frozen=True)
class NoIds:
    """No id in the path; the page is still fetched and scanned for the other practice's text.

    `query` names query-string parameters that take ids (a filter): the foreign id must not
    widen what is shown.
    """

    fixed: dict = field(default_factory=dict)  # non-id path parameters
    query: dict = field(default_factory=dict)
    # Other shapes of the same page (a CSV export), each tried with each foreign id.
    variants: tuple = ({},)


@dataclass(frozen=True)
class SignedLink:
    """Takes a signed token, not an id: tests/security/test_signed_links.py covers these."""


@dataclass(frozen=True)
class Monitoring:
    """For monitoring, with no sign-in: names parts of the deployment, never a practice's data,
    and answers 503 while no worker runs (as here). tests/recovery/test_health.py covers it."""


@dataclass(frozen=True)
class ClientVisit:
    """The client's own page: no id in the path and no staff session; what it shows comes
    from the visit's client alone. tests/clients/test_own_page.py and
    tests/security/test_client_visit.py cover it."""


@dataclass(frozen=True)
class Shared:
    """Ids of the shared meeting catalogue only: not practice data, nothing to keep apart."""


ROUTES = {
    "": NoIds(),
    "sign-in/": NoIds(),
    "sign-out/": NoIds(),
    "csp-report/": NoIds(),
    "favicon.ico": NoIds(),
    "healthz": Monitoring(),
    # A person's own account: sign-in security and the session, never anyone else's.
    "account/security/": NoIds(),
    "account/password/": NoIds(),
    "account/two-factor/verify/": NoIds(),
    "account/two-factor/set-up/": NoIds(),
    "account/two-factor/backup-codes/": NoIds(),
    "account/session/": NoIds(),
    "account/session/keep-alive/": NoIds(),
    # A practice admin's staff page and its invitations (recovery/invitation_views.py).
    "staff/": NoIds(),
    "staff/invitations/<int:pk>/revoke/": Ids({"pk": "invitation"}),
    "staff/invitations/<int:pk>/send-again/": Ids({"pk": "invitation"}),
    # A one-time invitation token, no id: tests/recovery/test_invitations.py covers it.
    "welcome/<str:token>/": NoIds(fixed={"token": "not-an-issued-token"}),
    # The audit trail filters by a user (a choice) and by a client (a name or an id).
    "audit/": NoIds(
        query={"user": "therapist", "client": "client"}, variants=({}, {"format": "csv"})
    ),
    "clients/": NoIds(query={"therapist": "therapist"}),
    "clients/new/": NoIds(),
    "clients/dashboard/": NoIds(
        query={"therapist": "therapist"},
        variants=({}, *({"csv": table} for table in ("therapists", "drifting", "unsigned"))),
    ),
    "clients/<int:pk>/": Ids({"pk": "client"}),
    "clients/<int:pk>/edit/": Ids({"pk": "client"}),
    "clients/<int:pk>/ladder/": Ids({"pk": "client"}),
    "clients/<int:pk>/meetings/": Ids({"pk": "client"}),
    # A meeting is catalogue; the client in front of it is not.
    "clients/<int:pk>/meetings/<int:meeting_pk>/": Ids({"pk": "client", "meeting_pk": SHARED}),
    "clients/<int:pk>/meetings/<int:meeting_pk>/plan/": Ids({"pk": "client", "meeting_pk": SHARED}),
    "clients/<int:pk>/plans/<int:plan_pk>/end/": Ids({"pk": "client", "plan_pk": "plan"}),
    "clients/<int:pk>/attendance/": Ids(
        {"pk": "client"},
        body={"plan": "plan"},
        fixed_body={"occurrence": timezone.now().isoformat(), "status": "skipped"},
    ),
    "clients/<int:pk>/reminders/": Ids({"pk": "client"}),
    "clients/<int:pk>/reminders/consent/": Ids({"pk": "client"}),
    "clients/<int:pk>/reminders/withdraw/": Ids({"pk": "client"}),
    "clients/<int:pk>/page-links/revoke/": Ids({"pk": "client"}),
    "clients/<int:pk>/notes/new/": Ids({"pk": "client"}, body={"note_id": "note"}),
    "clients/<int:pk>/notes/autosave/": Ids({"pk": "client"}, body={"note_id": "note"}),
    "clients/<int:pk>/notes/sections/": Ids({"pk": "client"}),
    "clients/<int:pk>/notes/suggestions/": Ids({"pk": "client"}),
    "clients/<int:pk>/notes/<int:note_pk>/": Ids({"pk": "client", "note_pk": "note"}),
    "clients/<int:pk>/measures/new/": Ids({"pk": "client"}),
    "clients/<int:pk>/measures/<int:measure_pk>/": Ids({"pk": "client", "measure_pk": "outcome"}),
    "clients/<int:pk>/measures/send/": Ids({"pk": "client"}),
    "clients/<int:pk>/measures/schedule/": Ids({"pk": "client"}),
    "clients/<int:pk>/measures/schedule/stop/": Ids({"pk": "client"}),
    "clients/<int:pk>/notes/<int:note_pk>/addenda/": Ids(
        {"pk": "client", "note_pk": "signed_note"}
    ),
    "clients/<int:pk>/record/export/": Ids({"pk": "client"}),
    "clients/<int:pk>/record/disclosures/": Ids({"pk": "client"}),
    "clients/<int:pk>/record/disclosures/<int:disclosure_pk>/print/": Ids(
        {"pk": "client", "disclosure_pk": "disclosure"}
    ),
    "clients/<int:pk>/record/erasure/": Ids({"pk": "client"}),
    "clients/<int:pk>/record/delete/": Ids({"pk": "client"}),
    # The meeting catalogue is public to every signed-in member of staff, by design.
    "meetings/": NoIds(),
    "meetings/<int:pk>/": Shared(),
    "meetings/<int:pk>/recommend/": Shared(),
    "meetings/feeds/": NoIds(),
    "meetings/feeds/add/": NoIds(),
    "meetings/feeds/<int:pk>/": Ids({"pk": "feed"}),
    "meetings/feeds/<int:pk>/edit/": Ids({"pk": "feed"}),
    "meetings/feeds/<int:pk>/status/": Ids({"pk": "feed"}),
    "meetings/feeds/<int:pk>/import/": Ids({"pk": "feed"}),
    "meetings/feeds/<int:pk>/pause/": Ids({"pk": "feed"}),
    "meetings/feeds/<int:pk>/remove/": Ids({"pk": "feed"}),
    "meetings/published/": NoIds(),
    # Public by design once published (no sign-in): our own list must show nothing of theirs.
    "meetings/published/<slug:slug>/": NoIds(fixed={"slug": "list-ours"}),
    "meetings/published/<slug:slug>/meetings.json": NoIds(fixed={"slug": "list-ours"}),
    "r/a/<str:token>/": SignedLink(),
    "r/u/<str:token>/": SignedLink(),
    "r/j/<str:token>/": SignedLink(),
    "r/q/<str:token>/": SignedLink(),
    "r/p/<str:token>/": SignedLink(),
    "me/": ClientVisit(),
    "me/answer/": ClientVisit(),
    "me/reminders/": ClientVisit(),
    "me/pause/": ClientVisit(),
    "me/resume/": ClientVisit(),
    "me/stop/": ClientVisit(),
    "me/leave/": ClientVisit(),
    "admin/": NoIds(),
    "admin/login/": NoIds(),
    "admin/logout/": NoIds(),
    "admin/password_change/": NoIds(),
    "admin/password_change/done/": NoIds(),
    "admin/autocomplete/": NoIds(),
    "admin/jsi18n/": NoIds(),
    "admin/<app_label>/": NoIds(fixed={"app_label": "clients"}),
    "admin/<url>": NoIds(fixed={"url": "no-such-page/"}),
    # The admin's "view on site" link: every practice model's content type is tried below.
    "admin/r/<path:content_type_id>/<path:object_id>/": "view_on_site",
}

# The admin's pages for one model, by their route inside the ModelAdmin.
OBJECT = "the admin's model's row"
ADMIN_TAILS = {
    "": NoIds(),
    "add/": NoIds(),
    "<path:object_id>/": Ids({"object_id": OBJECT}),
    "<path:object_id>/change/": Ids({"object_id": OBJECT}),
    "<path:object_id>/history/": Ids({"object_id": OBJECT}),
    "<path:object_id>/delete/": Ids({"object_id": OBJECT}),
    "<id>/password/": Ids({"id": OBJECT}),  # UserAdmin
    "<int:pk>/config/": Ids({"pk": OBJECT}),  # django-otp's TOTP device admin
    "<int:pk>/qrcode/": Ids({"pk": OBJECT}),
}

# Each admin model: the PracticeData key of the foreign row, or SHARED / OPERATOR.
OPERATOR = "the hosting operator's own rows"  # worker heartbeats: no practice's data
ADMIN_MODELS = {
    "clients.Client": "client",
    "clients.ResistanceTheme": "theme",
    "clients.SessionNote": "note",
    "clients.LadderMove": "ladder_move",
    "clients.MeetingPlan": "plan",
    "clients.Attendance": "attendance",
    "clients.Reminder": "reminder",
    "clients.OutcomeMeasure": "outcome",
    "clients.Disclosure": "disclosure",
    "recovery.Practice": "practice",
    "recovery.User": "therapist",
    "recovery.AuditEvent": "audit_event",
    "recovery.Heartbeat": OPERATOR,
    # The public meeting catalogue.
    "groups.Program": SHARED,
    "groups.Feed": "feed",  # a practice's own; the operator's are shared (PRACTICE_NULL_IS_SHARED)
    "groups.Meeting": SHARED,
    # Sign-in security rows name a member of staff: they belong to that person's practice.
    "otp_totp.TOTPDevice": "totp_device",
    "otp_static.StaticDevice": "static_device",
    "axes.AccessAttempt": "access_attempt",
    "axes.AccessLog": "access_log",
    "axes.AccessFailureLog": "access_failure_log",
}


def classify(route: Route):
    """The table entry for a route; None if the tables do not know it."""
    if route.model_admin is not None:
        if route.model_admin.model._meta.label not in ADMIN_MODELS:
            return None
        return ADMIN_TAILS.get(route.admin_tail)
    return ROUTES.get(route.template)


ROUTES_WALKED = all_routes()


def test_every_url_pattern_is_classified():
    unknown = [str(route) for route in ROUTES_WALKED if classify(route) is None]
    assert not unknown, (
        "URL patterns the IDOR walk cannot classify; add each to ROUTES/ADMIN_TAILS/"
        "ADMIN_MODELS in tests/security/test_idor.py:\n" + "\n".join(unknown)
    )


def test_the_tables_name_no_route_that_is_gone():
    templates = {route.template for route in ROUTES_WALKED}
    assert not set(ROUTES) - templates


# --- The walk ---------------------------------------------------------------------------------


def _value(side, key: str, route: Route, world: World):
    """The id (or object) behind a PracticeData key, for one side: ours or theirs."""
    if key == SHARED:
        return world.meeting.pk
    if key == OBJECT:
        key = ADMIN_MODELS[route.model_admin.model._meta.label]
    obj = getattr(side, key, None)
    if obj is None:
        obj = side.extra[key]
    return obj.pk


def _missing_id(route: Route, key: str) -> int:
    """An id no row has ever had: what a 404 for a foreign id must look like."""
    if key == OBJECT:
        model = route.model_admin.model
    else:
        model = apps.get_model(
            {
                "client": "clients.Client",
                "note": "clients.SessionNote",
                "signed_note": "clients.SessionNote",
                "plan": "clients.MeetingPlan",
                "therapist": "recovery.User",
                "disclosure": "clients.Disclosure",
                "invitation": "recovery.Invitation",
                "outcome": "clients.OutcomeMeasure",
                "feed": "groups.Feed",
            }[key]
        )
    return (model._base_manager.order_by("-pk").values_list("pk", flat=True).first() or 0) + 10_000


def _shape(response) -> tuple:
    """What a response tells about the id: status and where it redirects (ids blanked)."""
    location = re.sub(r"\d+", "N", response.get("Location", ""))
    return response.status_code, location


def _body_text(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def _request(browser, method: str, url: str, data: dict | None = None):
    response = getattr(browser, method)(url, data or {})
    assert response.status_code < 500, f"{method.upper()} {url} -> {response.status_code}"
    assert FOREIGN_MARK not in _body_text(response), (
        f"{method.upper()} {url} showed another practice's data"
    )
    return response


def _variants(spec: Ids) -> list[tuple[set, set]]:
    """(path params, body fields) made foreign: each on its own, then all together."""
    path_keys = [name for name, key in spec.path.items() if key != SHARED]
    singles = [({name}, set()) for name in path_keys] + [(set(), {name}) for name in spec.body]
    together = (set(path_keys), set(spec.body))
    return singles + ([together] if len(singles) > 1 else [])


def _url_and_body(route, spec, world, method, foreign_path, foreign_body, missing):
    """The URL and POST body with the named parameters foreign (or missing), the rest ours."""
    values, body = {}, dict(spec.fixed_body) if method == "post" else {}
    for name, key in spec.path.items():
        if name not in foreign_path:
            values[name] = _value(world.ours, key, route, world)
        elif missing:
            values[name] = _missing_id(route, key)
        else:
            values[name] = _value(world.theirs, key, route, world)
    if method == "post":
        for name, key in spec.body.items():
            if name not in foreign_body:
                body[name] = _value(world.ours, key, route, world)
            elif missing:
                body[name] = _missing_id(route, key)
            else:
                body[name] = _value(world.theirs, key, route, world)
    return route.path(**values), body


def _walk_ids(route: Route, spec: Ids, world: World, as_user) -> None:
    """Every role, GET then POST: the foreign variants must answer like a missing id."""
    controls = []
    for role, user in world.ours.users().items():
        browser = as_user(user)
        for method in ("get", "post"):

            def url_and_body(foreign_path=(), foreign_body=(), missing=False, method=method):
                return _url_and_body(
                    route, spec, world, method, foreign_path, foreign_body, missing
                )

            own = _request(browser, method, *url_and_body())
            controls.append((role, method, own.status_code))
            if own.status_code == 405:
                continue  # the view does not take this method, whatever the id
            for foreign_path, foreign_body in _variants(spec):
                if method == "get" and not foreign_path:
                    continue  # the ids are in a POST body
                url, body = url_and_body(foreign_path, foreign_body)
                foreign = _request(browser, method, url, body)
                missing = _request(browser, method, *url_and_body(foreign_path, foreign_body, True))
                what = f"{role} {method.upper()} {url} {body or ''}"
                assert _shape(foreign) == _shape(missing), (
                    f"{what}: a foreign id answers unlike a missing one: "
                    f"{_shape(foreign)} vs {_shape(missing)}"
                )
                if not route.is_admin:
                    assert foreign.status_code == 404, f"{what} -> {foreign.status_code}"
                else:
                    # The admin answers a row it cannot see with a 404, like every page; a
                    # role that may not use the admin is sent to its sign-in page whatever the
                    # id, and a page refused for every row of the model is a 403. Its old
                    # "<id>/" address forwards to "<id>/change/" whatever the id.
                    assert foreign.status_code in (302, 403, 404), (
                        f"{what} -> {foreign.status_code}"
                    )
                    if foreign.status_code == 302:
                        location = foreign["Location"]
                        assert location.startswith("/admin/login/") or (
                            location == f"{url}change/" and route.admin_tail == "<path:object_id>/"
                        ), f"{what} -> {location}"
        # An id past the database's integer range is just another missing row, never a 500.
        huge = {
            name: 10**20 if key != SHARED else world.meeting.pk for name, key in spec.path.items()
        }
        _request(browser, "get", route.path(**huge))
    # The walk above proves nothing if our own ids were refused too: someone must get in.
    assert any(status != 404 for _role, _method, status in controls), (
        f"{route}: no role reached the page with our own ids: {controls}"
    )


def _walk_no_ids(route: Route, spec: NoIds, world: World, as_user) -> None:
    for user in world.ours.users().values():
        browser = as_user(user)
        url = route.path(**spec.fixed)
        _request(browser, "get", url)
        for variant in spec.variants:
            for name, key in spec.query.items():
                query = {**variant, name: _value(world.theirs, key, route, world)}
                _request(browser, "get", url, query)
    if route.model_admin is not None and route.admin_tail == "":
        _admin_actions_on_foreign_rows(route, world, as_user)


def _admin_actions_on_foreign_rows(route: Route, world: World, as_user) -> None:
    """A change list's actions, posted with the other practice's ids selected: the admin
    acts only on rows it can see, so nothing happens (the walk compares every row after)."""
    key = ADMIN_MODELS[route.model_admin.model._meta.label]
    if key in (SHARED, OPERATOR):
        return
    browser = as_user(world.ours.admin)
    actions = ["delete_selected", *(route.model_admin.actions or [])]
    for action in actions:
        name = action if isinstance(action, str) else action.__name__
        for confirm in ({}, {"post": "yes"}):  # the delete action asks first, then deletes
            _request(
                browser,
                "post",
                route.path(),
                {
                    "action": name,
                    "_selected_action": [_value(world.theirs, key, route, world)],
                    "index": 0,
                    **confirm,
                },
            )


def _walk_view_on_site(route: Route, world: World, as_user) -> None:
    for label, key in ADMIN_MODELS.items():
        if key in (SHARED, OPERATOR):
            continue
        model = apps.get_model(label)
        content_type = ContentType.objects.get_for_model(model)
        foreign_pk = (getattr(world.theirs, key, None) or world.theirs.extra[key]).pk
        missing_pk = model._base_manager.order_by("-pk").values_list("pk", flat=True)[0] + 10_000
        for user in world.ours.users().values():
            browser = as_user(user)
            foreign = _request(
                browser, "get", route.path(content_type_id=content_type.pk, object_id=foreign_pk)
            )
            missing = _request(
                browser, "get", route.path(content_type_id=content_type.pk, object_id=missing_pk)
            )
            assert _shape(foreign) == _shape(missing), f"view on site for {label}"


@pytest.fixture
def sign_in_rows(world):
    """Rows of the sign-in security apps for both practices' therapists."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    for side in (world.ours, world.theirs):
        user = side.therapist
        side.extra.update(
            totp_device=TOTPDevice.objects.create(user=user, name=f"phone {user.full_name}"),
            static_device=StaticDevice.objects.create(user=user, name=f"codes {user.full_name}"),
            access_attempt=AccessAttempt.objects.create(
                username=user.email,
                ip_address="192.0.2.1",
                failures_since_start=1,
                user_agent="test",
                path_info="/sign-in/",
                get_data="",
                post_data="",
            ),
            access_log=AccessLog.objects.create(
                username=user.email,
                ip_address="192.0.2.1",
                user_agent="test",
                path_info="/sign-in/",
                attempt_time=timezone.now(),
            ),
            access_failure_log=AccessFailureLog.objects.create(
                username=user.email,
                ip_address="192.0.2.1",
                user_agent="test",
                path_info="/sign-in/",
                attempt_time=timezone.now(),
            ),
        )
    return world


@pytest.mark.parametrize("route", ROUTES_WALKED, ids=lambda route: route.template)
def test_another_practices_ids_get_404(route, sign_in_rows, as_user):
    world = sign_in_rows
    spec = classify(route)
    if spec is None:
        pytest.fail(f"{route} is not classified (see test_every_url_pattern_is_classified)")
    if route.model_admin is not None and ADMIN_MODELS[route.model_admin.model._meta.label] in (
        SHARED,
        OPERATOR,
    ):
        # Not practice data: nothing to keep apart; the page must still not leak any.
        spec = NoIds() if isinstance(spec, NoIds) else Shared()
    before = practice_rows(world.theirs.practice.pk)
    if spec == "view_on_site":
        _walk_view_on_site(route, world, as_user)
    elif isinstance(spec, Ids):
        _walk_ids(route, spec, world, as_user)
    elif isinstance(spec, NoIds):
        _walk_no_ids(route, spec, world, as_user)
    elif isinstance(spec, SignedLink | Shared | Monitoring | ClientVisit):
        pass  # see the classes' docstrings
    assert practice_rows(world.theirs.practice.pk) == before, "the other practice's rows changed"


@pytest.mark.parametrize("label", ["groups.Meeting", "groups.Feed", "groups.Program"])
def test_a_practice_admin_cannot_change_the_shared_catalogue(world, rf, label):
    model_admin = admin.site._registry[apps.get_model(label)]
    request = rf.get("/admin/")
    request.user = world.ours.admin
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
