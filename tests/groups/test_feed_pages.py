"""The practice admin's feed pages: adding, editing, pausing, removing, importing, reports.

The worker's part is run in this process where a page queues it (the on-commit callback, as
a worker would take the message); tests/groups/test_feed_refresh.py covers fetching itself.
"""

import datetime
import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from groups.feeds import feed_refresh
from groups.models import Feed, FeedFormat, FeedStatus, Meeting
from recovery.celery import app as celery_app
from recovery.models import AuditAction, AuditEvent, Role
from tests.factories import MeetingFactory, MeetingPlanFactory, UserFactory

FIXTURES = Path(__file__).parent / "fixtures"
TRICKY = FIXTURES / "meeting_guide_tricky.json"
CSV = FIXTURES / "practice_meetings.csv"
URL = "https://lakes.example.org/wp-admin/admin-ajax.php?action=meetings"


@pytest.fixture(autouse=True)
def _eager_tasks(monkeypatch):
    # A queued import runs in this process when its transaction commits, as a worker would.
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)


@pytest.fixture
def admin_browser(as_user, practice_admin):
    return as_user(practice_admin)


def upload(path: Path, name: str | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name or path.name, path.read_bytes())


def add_feed(browser, capture, **fields):
    data = {
        "name": "Lakes Intergroup",
        "format": FeedFormat.MEETING_GUIDE,
        "default_time_zone": "America/Los_Angeles",
        **fields,
    }
    with capture(execute=True):
        return browser.post(reverse("groups:feed_add"), data)


def test_an_admin_adds_a_feed_by_uploading_a_file_and_sees_its_report(
    admin_browser, practice, django_capture_on_commit_callbacks
):
    response = add_feed(
        admin_browser, django_capture_on_commit_callbacks, upload_file=upload(TRICKY)
    )

    feed = Feed.objects.get(practice=practice)
    assert response.status_code == 302
    assert response["Location"] == reverse("groups:feed_detail", args=[feed.pk])
    assert feed.upload_name == "meeting_guide_tricky.json" and feed.source == ""
    assert Meeting.objects.filter(feed=feed).count() == 9
    page = admin_browser.get(response["Location"]).content.decode()
    assert "<strong>9</strong> created" in page
    assert "<strong>7</strong> rejected" in page
    assert "<code>eighth-day</code>" in page
    assert "day 7 is outside 0 (Sunday) to 6 (Saturday)" in page
    assert "Only when you upload a new file" in page
    warnings = admin_browser.get(response["Location"] + "?show=warnings").content.decode()
    assert "Warnings (" in warnings and "dropped" in warnings
    assert AuditEvent.objects.filter(
        action=AuditAction.CREATE, object_type="groups.feed", object_id=str(feed.pk)
    ).exists()


def test_a_feed_by_web_address_is_queued_not_fetched_in_the_request(
    admin_browser, practice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = admin_browser.post(
            reverse("groups:feed_add"),
            {"name": "Lakes", "format": "meeting-guide", "source": URL, "default_time_zone": "UTC"},
        )

    feed = Feed.objects.get(practice=practice)
    assert response.status_code == 302
    assert feed.source == URL and feed.status == FeedStatus.QUEUED
    assert len(queued) == 1
    page = admin_browser.get(response["Location"]).content.decode()
    assert "Waiting for a worker" in page
    # The panel polls while the import waits or runs.
    assert 'hx-trigger="every 2s"' in page


def test_the_status_panel_asks_for_a_reload_once_the_import_is_done(admin_browser, practice):
    feed = Feed.objects.create(practice=practice, name="Lakes", format="meeting-guide", source=URL)
    status = reverse("groups:feed_status", args=[feed.pk])

    assert "HX-Refresh" not in admin_browser.get(status, HTTP_HX_REQUEST="true")
    Feed.objects.filter(pk=feed.pk).update(status=FeedStatus.IMPORTING, status_detail="Importing")
    busy = admin_browser.get(status, HTTP_HX_REQUEST="true")
    assert "Importing meetings" in busy.content.decode() and "HX-Refresh" not in busy
    Feed.objects.filter(pk=feed.pk).update(status=FeedStatus.IDLE)
    done = admin_browser.get(status + "?was=busy", HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({}, "source", "Give the feed&#x27;s web address, or upload a file."),
        ({"source": "ftp://example.org/feed.json"}, "source", "Enter a valid URL."),
        (
            {"source": "https://example.org:99999/feed.json"},
            "source",
            "The port in this address (the number after the colon) is not a valid one.",
        ),
        (
            {"source": URL, "upload_file": "tricky"},
            "upload_file",
            "Give a web address or a file, not both.",
        ),
        (
            {"upload_file": "html", "format": "meeting-guide"},
            "upload_file",
            "this is a web page (HTML), not a meeting feed",
        ),
        ({"upload_file": "csv", "format": "meeting-guide"}, "upload_file", "is not JSON"),
        ({"upload_file": "bad-header", "format": "csv"}, "upload_file", "has no key, day column"),
        ({"upload_file": "object", "format": "meeting-guide"}, "upload_file", "not a list"),
    ],
)
def test_bad_feeds_are_refused_with_a_clear_error_and_nothing_is_saved(
    admin_browser, practice, django_capture_on_commit_callbacks, fields, field, message
):
    files = {
        "tricky": upload(TRICKY),
        "html": SimpleUploadedFile("index.html", b"<!DOCTYPE html><html><body>Meetings</body>"),
        "csv": upload(CSV),
        "bad-header": SimpleUploadedFile("list.csv", b"name,time\nMorning,07:00\n"),
        "object": SimpleUploadedFile("feed.json", b'{"meetings": []}'),
    }
    if "upload_file" in fields:
        fields = {**fields, "upload_file": files[fields["upload_file"]]}

    response = add_feed(admin_browser, django_capture_on_commit_callbacks, **fields)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert field in response.context["form"].errors
    assert not Feed.objects.exists()
    # What was typed stays in the form.
    assert response.context["form"]["name"].value() == "Lakes Intergroup"


def test_a_file_over_the_upload_limit_is_refused(
    admin_browser, settings, django_capture_on_commit_callbacks
):
    settings.FEED_UPLOAD_MAX_BYTES = 1024 * 1024
    big = SimpleUploadedFile("huge.json", b"[" + b" " * (2 * 1024 * 1024) + b"]")

    response = add_feed(admin_browser, django_capture_on_commit_callbacks, upload_file=big)

    assert response.status_code == 400
    assert "This file is 2 MB; a feed file may be at most 1 MB" in response.content.decode()
    assert not Feed.objects.exists()


def test_two_feeds_of_one_practice_cannot_share_a_name(
    admin_browser, practice, django_capture_on_commit_callbacks
):
    Feed.objects.create(practice=practice, name="Lakes Intergroup", format="csv", source=URL)
    # Another practice, and the operator, may use the name.
    Feed.objects.create(name="Lakes Intergroup", format="csv", source=URL)

    response = add_feed(admin_browser, django_capture_on_commit_callbacks, source=URL)

    assert response.status_code == 400
    assert "already has a feed with this name" in response.content.decode()


def test_editing_a_feed_saves_and_queues_an_import(
    admin_browser, practice, django_capture_on_commit_callbacks
):
    feed = Feed.objects.create(practice=practice, name="Lakes", format="meeting-guide", source=URL)
    feed.etag = '"v1"'
    feed.save()

    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = admin_browser.post(
            reverse("groups:feed_edit", args=[feed.pk]),
            {
                "name": "Lakes and Hills",
                "format": "meeting-guide",
                "source": URL + "&v=2",
                "default_time_zone": "America/Denver",
            },
        )

    feed.refresh_from_db()
    assert response.status_code == 302
    assert (feed.name, feed.default_time_zone) == ("Lakes and Hills", "America/Denver")
    assert feed.etag == ""  # a new address starts without the old one's validators
    assert len(queued) == 1
    assert AuditEvent.objects.filter(action=AuditAction.UPDATE, object_id=str(feed.pk)).exists()


def test_changing_an_uploaded_feeds_format_checks_the_file_again(
    admin_browser, practice, django_capture_on_commit_callbacks
):
    add_feed(admin_browser, django_capture_on_commit_callbacks, upload_file=upload(TRICKY))
    feed = Feed.objects.get(practice=practice)

    response = admin_browser.post(
        reverse("groups:feed_edit", args=[feed.pk]),
        {"name": feed.name, "format": "csv", "default_time_zone": "UTC"},
    )

    assert response.status_code == 400
    assert (
        "The CSV file has no key, name, day, time column"
        in response.context["form"].errors["format"][0]
    )
    feed.refresh_from_db()
    assert feed.format == FeedFormat.MEETING_GUIDE


def test_import_now_queues_once_while_an_import_waits(
    admin_browser, practice, django_capture_on_commit_callbacks
):
    feed = Feed.objects.create(practice=practice, name="Lakes", format="meeting-guide", source=URL)
    url = reverse("groups:feed_import", args=[feed.pk])

    with django_capture_on_commit_callbacks(execute=False) as queued:
        admin_browser.post(url)
        second = admin_browser.post(url, follow=True)

    assert len(queued) == 1
    assert "already under way" in second.content.decode()


def test_a_paused_feed_keeps_its_meetings_and_is_not_refreshed(admin_browser, practice):
    feed = Feed.objects.create(practice=practice, name="Lakes", format="meeting-guide", source=URL)
    meeting = MeetingFactory(feed=feed, source_key="a")

    admin_browser.post(reverse("groups:feed_pause", args=[feed.pk]))

    feed.refresh_from_db()
    meeting.refresh_from_db()
    assert feed.is_paused and meeting.is_active
    from groups.feeds import feeds_due

    assert feed not in feeds_due(now=timezone.now())
    admin_browser.post(reverse("groups:feed_pause", args=[feed.pk]))
    feed.refresh_from_db()
    assert not feed.is_paused


def test_removing_a_feed_keeps_planned_meetings_for_their_plans(
    admin_browser, practice, client_record
):
    feed = Feed.objects.create(practice=practice, name="Lakes", format="meeting-guide", source=URL)
    planned = MeetingFactory(feed=feed, source_key="a")
    MeetingFactory(feed=feed, source_key="b")
    plan = MeetingPlanFactory(client=client_record, meeting=planned)

    confirm = admin_browser.get(reverse("groups:feed_delete", args=[feed.pk]))
    assert "Its 2 meetings leave the catalogue" in confirm.content.decode()
    response = admin_browser.post(reverse("groups:feed_delete", args=[feed.pk]), follow=True)

    assert "Feed “Lakes” removed. Its 2 meetings are no longer listed" in response.content.decode()
    assert not Feed.objects.filter(pk=feed.pk).exists()
    plan.refresh_from_db()
    assert plan.meeting.is_active is False and plan.meeting.feed is None


def test_a_busy_feed_is_not_removed(admin_browser, practice):
    feed = Feed.objects.create(
        practice=practice, name="Lakes", format="meeting-guide", source=URL, status="importing"
    )

    admin_browser.post(reverse("groups:feed_delete", args=[feed.pk]))

    assert Feed.objects.filter(pk=feed.pk).exists()


def test_a_failed_import_shows_its_reason_and_the_meetings_stay(admin_browser, practice):
    feed = Feed.objects.create(
        practice=practice, name="Lakes", format="meeting-guide", source="/no/such/file.json"
    )
    meeting = MeetingFactory(feed=feed, source_key="a")

    feed_refresh(feed.pk)

    page = admin_browser.get(reverse("groups:feed_detail", args=[feed.pk])).content.decode()
    assert "The last import failed" in page
    assert "neither a web address nor an uploaded file" in page
    meeting.refresh_from_db()
    assert meeting.is_active


def test_a_stale_feed_shows_on_the_feed_pages_and_the_dashboard(
    as_user, practice, practice_admin, manager
):
    long_ago = timezone.now() - datetime.timedelta(hours=80)
    feed = Feed.objects.create(
        practice=practice,
        name="Lakes",
        format="meeting-guide",
        source=URL,
        last_checked_at=long_ago,
        last_error="https://lakes.example.org/...: the server answered 503 Service Unavailable.",
        failing_since=long_ago,
    )
    fresh = Feed.objects.create(
        practice=practice,
        name="Hills",
        format="meeting-guide",
        source=URL,
        last_checked_at=timezone.now(),
    )
    admin = as_user(practice_admin)

    listing = admin.get(reverse("groups:feed_list")).content.decode()
    assert listing.count(">Stale<") == 1 and ">Up to date<" in listing
    detail = admin.get(reverse("groups:feed_detail", args=[feed.pk])).content.decode()
    assert "not read successfully for more than 72 hours" in detail
    assert "answered 503" in detail
    dashboard = as_user(manager).get(reverse("clients:dashboard")).content.decode()
    assert "Meeting feeds out of date" in dashboard and "Lakes" in dashboard
    assert fresh.name not in dashboard.split('id="stale-feeds"')[1].split("</div>")[0]


def test_the_dashboard_names_no_stale_feed_of_another_practice(as_user, manager, outsider):
    long_ago = timezone.now() - datetime.timedelta(hours=80)
    Feed.objects.create(
        practice=outsider.practice,
        name="Elsewhere feed",
        format="csv",
        source=URL,
        last_checked_at=long_ago,
    )

    page = as_user(manager).get(reverse("clients:dashboard")).content.decode()

    assert "Meeting feeds out of date" not in page


@pytest.mark.parametrize("role", [Role.THERAPIST, Role.MANAGER])
def test_only_practice_admins_reach_the_feed_pages(as_user, practice, role):
    feed = Feed.objects.create(practice=practice, name="Lakes", format="csv", source=URL)
    browser = as_user(UserFactory(practice=practice, role=role))

    for url in (
        reverse("groups:feed_list"),
        reverse("groups:feed_add"),
        reverse("groups:feed_detail", args=[feed.pk]),
    ):
        assert browser.get(url).status_code == 404
    assert browser.post(reverse("groups:feed_import", args=[feed.pk])).status_code == 404


def test_another_practices_admin_cannot_touch_a_feed(as_user, practice):
    feed = Feed.objects.create(practice=practice, name="Lakes", format="csv", source=URL)
    other_admin = UserFactory(practice=UserFactory().practice, role=Role.ADMIN)
    browser = as_user(other_admin)

    assert browser.get(reverse("groups:feed_detail", args=[feed.pk])).status_code == 404
    assert browser.post(reverse("groups:feed_pause", args=[feed.pk])).status_code == 404
    assert browser.post(reverse("groups:feed_delete", args=[feed.pk])).status_code == 404
    assert "Lakes" not in browser.get(reverse("groups:feed_list")).content.decode()
    feed.refresh_from_db()
    assert not feed.is_paused


def test_the_operators_feeds_are_listed_read_only(admin_browser):
    operator_feed = Feed.objects.create(name="Regional service", format="csv", source="/srv/x.csv")

    listing = admin_browser.get(reverse("groups:feed_list")).content.decode()

    assert "Feeds kept by the hosting operator" in listing and "Regional service" in listing
    assert (
        admin_browser.get(reverse("groups:feed_detail", args=[operator_feed.pk])).status_code == 404
    )


def test_the_report_pages_long_lists_of_rejected_records(admin_browser, practice):
    rejected = [{"key": f"bad-{n}", "reason": "no day"} for n in range(120)]
    feed = Feed.objects.create(
        practice=practice,
        name="Lakes",
        format="csv",
        source=URL,
        last_report={
            "created": 0,
            "updated": 0,
            "unchanged": 0,
            "deactivated": 0,
            "rejected": rejected,
            "warnings": [],
        },
    )
    url = reverse("groups:feed_detail", args=[feed.pk])

    first = admin_browser.get(url).content.decode()
    third = admin_browser.get(url + "?show=rejected&page=3").content.decode()

    assert "bad-0<" in first and "bad-50<" not in first and "Page 1 of 3" in first
    assert "bad-119<" in third
    assert json.dumps(rejected)  # the stored report is plain JSON
