"""`manage.py import_meetings`, reading paths and http URLs, and the admin's "Import now"."""

import functools
import http.server
import json
import threading
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from groups.feeds import feed_refresh
from groups.importers import SourceError
from groups.importers.sources import source_read
from groups.models import Feed, FeedFormat, Meeting
from recovery.celery import app as celery_app
from recovery.models import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
TRICKY = str(FIXTURES / "meeting_guide_tricky.json")


def run(*args: str) -> str:
    out = StringIO()
    call_command("import_meetings", *args, stdout=out)
    return out.getvalue()


def test_json_output_is_one_object_with_the_counts_and_rejections():
    out = run("--format", "meeting-guide", "--feed", "Tri-County", "--json", TRICKY)

    report = json.loads(out)  # the whole output is one JSON document
    assert out.count("\n") <= 1
    assert (report["created"], report["updated"], report["unchanged"]) == (9, 0, 0)
    assert report["deactivated"] == 0
    assert len(report["rejected"]) == 7
    assert all(set(entry) == {"key", "reason"} for entry in report["rejected"])


def test_the_first_run_creates_the_feed_and_the_second_changes_nothing():
    run(
        "--format", "meeting-guide", "--feed", "Tri-County", "--timezone", "America/Chicago", TRICKY
    )

    feed = Feed.objects.get(name="Tri-County")
    assert (feed.format, feed.source, feed.default_time_zone) == (
        FeedFormat.MEETING_GUIDE,
        TRICKY,
        "America/Chicago",
    )
    assert Meeting.objects.get(source_key="night-owls").time_zone == "America/Chicago"

    report = json.loads(run("--format", "meeting-guide", "--feed", "Tri-County", "--json", TRICKY))
    assert (report["created"], report["updated"], report["unchanged"]) == (0, 0, 9)


def test_the_human_summary_names_counts_and_rejections():
    out = run("--format", "meeting-guide", "--feed", "Tri-County", TRICKY)

    assert out.startswith(
        "Tri-County (meeting-guide): 9 created, 0 updated, 0 unchanged, 0 deactivated, 7 rejected."
    )
    assert "  eighth-day: day 7 is outside 0 (Sunday) to 6 (Saturday)" in out
    assert "Warnings:" in out


def test_program_option_sets_the_feeds_program():
    run(
        "--format",
        "bmlt",
        "--feed",
        "NA",
        "--program",
        "ca",
        str(FIXTURES / "bmlt_search_results.json"),
    )

    assert Feed.objects.get(name="NA").default_program.key == "CA"
    assert set(Meeting.objects.values_list("program__key", flat=True)) == {"CA"}


def test_csv_format_through_the_command():
    out = run(
        "--format", "csv", "--feed", "Ours", "--json", str(FIXTURES / "practice_meetings.csv")
    )

    assert json.loads(out)["created"] == 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "meeting-guide", str(FIXTURES / "practice_meetings.csv")], "is not JSON"),
        (["--format", "bmlt", str(FIXTURES / "nope.json")], "no such file"),
        (["--format", "meeting-guide", "--timezone", "Mars/Base", TRICKY], "Unknown time zone"),
        (["--format", "meeting-guide", "--program", "ZZ", TRICKY], "Unknown program 'ZZ'"),
        (["--format", "meeting-guide", "ftp://example.org/feed.json"], "only http(s) URLs"),
        (["--format", "meeting-guide", str(FIXTURES)], "is a directory"),
    ],
)
def test_a_source_level_error_is_a_clear_failure_that_creates_nothing(args, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run("--feed", "Broken", *args)

    assert not Feed.objects.exists()
    assert not Meeting.objects.exists()


def test_an_existing_feed_of_another_format_is_refused():
    Feed.objects.create(name="NA", format=FeedFormat.BMLT, source="x")

    with pytest.raises(CommandError, match="is a bmlt feed; it cannot import meeting-guide"):
        run("--format", "meeting-guide", "--feed", "NA", TRICKY)


def test_a_failed_reimport_leaves_the_feed_and_its_meetings_as_they_were(tmp_path):
    run("--format", "meeting-guide", "--feed", "Tri-County", TRICKY)
    broken = tmp_path / "broken.json"
    broken.write_text('{"error": "database down"}')

    with pytest.raises(CommandError, match="is an object, not a list of meetings"):
        run("--format", "meeting-guide", "--feed", "Tri-County", str(broken))

    feed = Feed.objects.get(name="Tri-County")
    assert feed.source == TRICKY
    assert Meeting.objects.filter(feed=feed, is_active=True).count() == 7  # 9 less 2 inactive


# --- URLs, served from a real HTTP server on loopback ------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass


@pytest.fixture
def feed_server(monkeypatch):
    for name in (
        "http_proxy",
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
    ):
        monkeypatch.delenv(name, raising=False)
    handler = functools.partial(_QuietHandler, directory=str(FIXTURES))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_a_feed_is_imported_from_an_http_url(feed_server):
    url = f"{feed_server}/bmlt_search_results.json"

    report = json.loads(run("--format", "bmlt", "--feed", "NA", "--json", url))

    assert report["created"] == 3
    assert Feed.objects.get(name="NA").source == url


def test_a_missing_page_is_a_clear_error(feed_server):
    with pytest.raises(CommandError, match="the server answered 404"):
        run("--format", "bmlt", "--feed", "NA", f"{feed_server}/gone.json")
    assert not Feed.objects.exists()


def test_a_response_over_the_size_cap_is_refused(feed_server):
    with pytest.raises(SourceError, match=r"more than the limit \(100 bytes\)"):
        source_read(f"{feed_server}/bmlt_search_results.json", max_bytes=100)


def test_a_file_over_the_size_cap_is_refused():
    with pytest.raises(SourceError, match=r"more than the limit \(100 bytes\)"):
        source_read(TRICKY, max_bytes=100)


def test_an_unreachable_server_is_a_clear_error():
    # Port 9 (discard) on loopback: nothing listens in a test environment.
    with pytest.raises(SourceError, match="cannot be fetched"):
        source_read("http://127.0.0.1:9/feed.json", timeout=2)


# --- the admin ----------------------------------------------------------------------------


@pytest.fixture
def operator(practice):
    """The hosting operator: the catalogue is theirs to change."""
    return UserFactory(practice=practice, role=Role.ADMIN, is_staff=True, is_superuser=True)


def test_import_now_in_the_admin_queues_the_import_for_a_worker(
    as_user, operator, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    feed = Feed.objects.create(name="Tri-County", format=FeedFormat.MEETING_GUIDE, source=TRICKY)
    browser = as_user(operator)

    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = browser.post(
            reverse("admin:groups_feed_changelist"),
            {"action": "import_now", "_selected_action": [feed.pk]},
            follow=True,
        )

    assert "Tri-County: import queued." in response.content.decode()
    assert not Meeting.objects.filter(feed=feed).exists()  # nothing ran in the request
    assert len(queued) == 1
    queued[0]()  # the worker's turn
    assert Meeting.objects.filter(feed=feed).count() == 9
    page = browser.get(reverse("admin:groups_feed_change", args=[feed.pk])).content.decode()
    assert "9 created, 0 updated, 0 unchanged, 0 deactivated, 7 rejected." in page
    assert "Rejected (7):" in page
    assert "<code>eighth-day</code>: day 7 is outside 0 (Sunday) to 6 (Saturday)" in page


def test_import_now_twice_queues_one_import(as_user, operator, django_capture_on_commit_callbacks):
    feed = Feed.objects.create(name="Tri-County", format=FeedFormat.MEETING_GUIDE, source=TRICKY)
    browser = as_user(operator)
    action = {"action": "import_now", "_selected_action": [feed.pk]}

    with django_capture_on_commit_callbacks(execute=False) as queued:
        browser.post(reverse("admin:groups_feed_changelist"), action)
        second = browser.post(reverse("admin:groups_feed_changelist"), action, follow=True)

    assert len(queued) == 1
    assert "Tri-County: an import is already under way." in second.content.decode()


def test_a_broken_source_is_reported_on_the_feed_without_importing(as_user, operator):
    feed = Feed.objects.create(name="Gone", format=FeedFormat.BMLT, source="/nonexistent/feed.json")

    feed_refresh(feed.pk)

    page = as_user(operator).get(reverse("admin:groups_feed_change", args=[feed.pk]))
    assert "/nonexistent/feed.json: no such file." in page.content.decode()
    feed.refresh_from_db()
    assert feed.last_imported_at is None


def test_a_practice_admin_reads_the_catalogue_but_cannot_import_or_change_it(
    as_user, practice_admin
):
    feed = Feed.objects.create(name="Tri-County", format=FeedFormat.MEETING_GUIDE, source=TRICKY)
    browser = as_user(practice_admin)

    listing = browser.get(reverse("admin:groups_feed_changelist"))
    assert listing.status_code == 200
    assert "import_now" not in listing.content.decode()
    browser.post(
        reverse("admin:groups_feed_changelist"),
        {"action": "import_now", "_selected_action": [feed.pk]},
    )
    browser.post(
        reverse("admin:groups_feed_change", args=[feed.pk]),
        {"name": "Mine now", "format": FeedFormat.CSV, "source": "/etc/passwd"},
    )

    feed.refresh_from_db()
    assert (feed.name, feed.source, feed.last_imported_at) == ("Tri-County", TRICKY, None)
    assert not Meeting.objects.filter(feed=feed).exists()
    assert browser.get(reverse("admin:groups_meeting_add")).status_code == 403
