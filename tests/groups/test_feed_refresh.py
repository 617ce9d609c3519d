"""The worker's side of a feed: fetching it (conditionally), importing it, failing safely,
going stale, being scheduled, and one import at a time.

Every web address is served by a real HTTP server on loopback (`feed_server`), whose answers
each test sets: ETag and Last-Modified (and the 304 they earn), a web page, a 500, a body
bigger than the cap, bytes trickled slower than the deadline, a redirect. It records every
request it receives, so a test can say that a refused feed was never fetched at all.
"""

import datetime
import hashlib
import http.server
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email.message import Message
from urllib.parse import urlsplit

import pytest
import time_machine
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from clients.models import MeetingPlan
from groups.feeds import (
    feed_queue,
    feed_refresh,
    feed_remove,
    feeds_due,
    feeds_refresh_due,
    stale_feeds,
)
from groups.importers import SourceError
from groups.importers.sources import MAX_SOURCE_BYTES, source_fetch
from groups.models import Feed, FeedFormat, FeedStatus, Meeting
from groups.tasks import refresh_feeds
from recovery.celery import app as celery_app
from tests.factories import MeetingFactory, MeetingPlanFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2025, 3, 4, 15, 0, tzinfo=datetime.UTC)
LAST_MODIFIED = "Tue, 04 Mar 2025 12:00:00 GMT"
# A public address (example.com's), never contacted: requests to it go through the test
# server acting as an HTTP proxy (see `proxied`).
PUBLIC_HOST = "93.184.215.14"


def hours(count: float) -> datetime.timedelta:
    return datetime.timedelta(hours=count)


def meeting(slug: str, name: str, day: int, time: str = "19:00") -> dict:
    return {
        "slug": slug,
        "name": name,
        "day": day,
        "time": time,
        "address": "12 Elm Street",
        "city": "Lakeport",
        "state": "CA",
    }


def feed_body(*meetings: dict) -> bytes:
    return json.dumps(list(meetings)).encode()


V1 = feed_body(
    meeting("monday-step-study", "Monday Step Study", 1),
    meeting("tuesday-big-book", "Tuesday Big Book", 2),
    meeting("friday-speaker", "Friday Speaker", 5, "20:00"),
)
# The intergroup renamed Tuesday's meeting, Friday's closed and Saturday's is new.
V2 = feed_body(
    meeting("monday-step-study", "Monday Step Study", 1),
    meeting("tuesday-big-book", "Tuesday Big Book & Steps", 2),
    meeting("saturday-newcomers", "Saturday Newcomers", 6, "10:00"),
)


# --- the test server ----------------------------------------------------------------------


@dataclass
class Answer:
    body: bytes = b""
    status: int = 200
    content_type: str = "application/json"
    etag: str = ""
    last_modified: str = ""
    location: str = ""
    # None: the body's length; False: no Content-Length, the body ends when the server closes.
    content_length: int | bool | None = None
    delay_seconds: float = 0  # before answering
    trickle_seconds: float = 0  # the body in ten pieces spread over this long


@dataclass
class Seen:
    target: str  # as requested: a path, or the whole URL when asked as a proxy
    headers: Message
    status: int


@dataclass
class FeedServer:
    base: str
    answers: dict[str, Answer] = field(default_factory=dict)
    requests: list[Seen] = field(default_factory=list)

    def url(self, path: str = "/feed.json") -> str:
        return self.base + path

    def serve(self, path: str = "/feed.json", **answer) -> str:
        self.answers[path] = Answer(**answer)
        return self.url(path)

    @property
    def statuses(self) -> list[int]:
        return [seen.status for seen in self.requests]


class _FeedHandler(http.server.BaseHTTPRequestHandler):
    """Answers what the test set for the path; honours If-None-Match / If-Modified-Since."""

    def do_GET(self):
        feeds: FeedServer = self.server.feeds
        answer = feeds.answers.get(urlsplit(self.path).path)
        if answer is None:
            answer = Answer(status=404, body=b"[]")
        status = answer.status
        if status == 200 and (
            (answer.etag and self.headers.get("If-None-Match") == answer.etag)
            or (
                answer.last_modified
                and self.headers.get("If-Modified-Since") == answer.last_modified
            )
        ):
            status = 304
        feeds.requests.append(Seen(self.path, self.headers, status))
        time.sleep(answer.delay_seconds)
        self.send_response(status)
        for name, value in (
            ("ETag", answer.etag),
            ("Last-Modified", answer.last_modified),
            ("Location", answer.location),
        ):
            if value:
                self.send_header(name, value)
        if status == 304:
            self.end_headers()
            return
        self.send_header("Content-Type", answer.content_type)
        if answer.content_length is None:
            self.send_header("Content-Length", str(len(answer.body)))
        elif answer.content_length is not False:
            self.send_header("Content-Length", str(answer.content_length))
        self.end_headers()
        try:
            if answer.trickle_seconds:
                step = len(answer.body) // 10 + 1
                for start in range(0, len(answer.body), step):
                    self.wfile.write(answer.body[start : start + step])
                    self.wfile.flush()
                    time.sleep(answer.trickle_seconds / 10)
            else:
                self.wfile.write(answer.body)
        except OSError:
            pass  # the client gave up (over the cap, past the deadline): as a real server

    def log_message(self, *args):  # keep test output clean
        pass


@pytest.fixture
def feed_server(monkeypatch):
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FeedHandler)
    server.feeds = FeedServer(f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server.feeds
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def proxied(feed_server, monkeypatch):
    """Requests for any http URL go to the test server, as to a proxy, so a public address
    (PUBLIC_HOST, which passes the private-address check without DNS) is answered on
    loopback. That lets a public first hop redirect inside the network."""
    monkeypatch.setenv("http_proxy", feed_server.base)
    return feed_server


@pytest.fixture
def loopback_allowed(settings):
    # Practice feeds may not point inside the network; the test server is on loopback.
    settings.FEED_ALLOW_PRIVATE_ADDRESSES = True


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def practice_feed(practice, source: str = "", **fields) -> Feed:
    return Feed.objects.create(
        practice=practice,
        name=fields.pop("name", "Lakes Intergroup"),
        format=FeedFormat.MEETING_GUIDE,
        source=source,
        default_time_zone="America/Los_Angeles",
        **fields,
    )


def meetings_of(feed: Feed) -> dict[str, tuple[str, bool, datetime.datetime]]:
    return {
        key: (name, active, updated)
        for key, name, active, updated in Meeting.objects.filter(feed=feed).values_list(
            "source_key", "name", "is_active", "updated_at"
        )
    }


def sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


# --- a first import, then conditional refreshes --------------------------------------------


def test_the_first_refresh_imports_the_feed_and_keeps_its_validators(
    feed_server, practice, loopback_allowed, frozen
):
    url = feed_server.serve(body=V1, etag='"v1"', last_modified=LAST_MODIFIED)
    feed = practice_feed(practice, url)

    result = feed_refresh(feed.pk)

    assert result.outcome == "imported"
    assert result.detail == "3 created, 0 updated, 0 unchanged, 0 deactivated, 0 rejected"
    feed.refresh_from_db()
    assert (feed.status, feed.status_detail) == (FeedStatus.IDLE, result.detail)
    assert (feed.etag, feed.last_modified, feed.content_sha256) == (
        '"v1"',
        LAST_MODIFIED,
        sha256(V1),
    )
    assert feed.last_attempt_at == feed.last_checked_at == feed.last_imported_at == NOW
    assert (feed.last_error, feed.failing_since) == ("", None)
    assert {key: (name, active) for key, (name, active, _) in meetings_of(feed).items()} == {
        "monday-step-study": ("Monday Step Study", True),
        "tuesday-big-book": ("Tuesday Big Book", True),
        "friday-speaker": ("Friday Speaker", True),
    }
    [request] = feed_server.requests
    assert request.headers["User-Agent"] == "RecoveryBridge-feed-import/1.0"
    assert request.headers["If-None-Match"] is None  # nothing to compare with yet
    assert request.headers["If-Modified-Since"] is None


def test_validators_are_sent_only_once_an_import_has_succeeded(
    feed_server, practice, loopback_allowed
):
    # An ETag without a successful import (say, from a not-modified answer to an import that
    # then failed): a 304 to it would mean "as last imported", and nothing was.
    url = feed_server.serve(body=V1, etag='"v1"', last_modified=LAST_MODIFIED)
    feed = practice_feed(practice, url, etag='"v1"', last_modified=LAST_MODIFIED)

    assert feed_refresh(feed.pk).outcome == "imported"

    assert feed_server.statuses == [200]
    assert feed_server.requests[0].headers["If-None-Match"] is None
    assert Meeting.objects.filter(feed=feed).count() == 3


def test_an_unchanged_feed_answers_304_and_nothing_is_parsed(
    feed_server, practice, loopback_allowed, frozen
):
    url = feed_server.serve(body=V1, etag='"v1"', last_modified=LAST_MODIFIED)
    feed = practice_feed(practice, url)
    feed_refresh(feed.pk)
    before = meetings_of(feed)
    frozen.move_to(NOW + hours(13))

    result = feed_refresh(feed.pk)

    assert result.outcome == "not-modified"
    assert feed_server.statuses == [200, 304]
    second = feed_server.requests[1].headers
    assert (second["If-None-Match"], second["If-Modified-Since"]) == ('"v1"', LAST_MODIFIED)
    feed.refresh_from_db()
    assert feed.last_checked_at == feed.last_attempt_at == NOW + hours(13)
    assert feed.last_imported_at == NOW  # feed_import did not run
    assert (feed.status, feed.status_detail) == (FeedStatus.IDLE, "Unchanged since the last import")
    assert (feed.etag, feed.last_modified, feed.content_sha256) == (
        '"v1"',
        LAST_MODIFIED,
        sha256(V1),
    )
    assert meetings_of(feed) == before  # not one row rewritten


def test_the_same_bytes_without_validators_are_not_modified_by_their_digest(
    feed_server, practice, loopback_allowed, frozen
):
    url = feed_server.serve(body=V1)  # no ETag, no Last-Modified: every answer is a 200
    feed = practice_feed(practice, url)
    feed_refresh(feed.pk)
    before = meetings_of(feed)
    frozen.move_to(NOW + hours(13))

    result = feed_refresh(feed.pk)

    assert result.outcome == "not-modified"
    assert feed_server.statuses == [200, 200]
    feed.refresh_from_db()
    assert (feed.last_checked_at, feed.last_imported_at) == (NOW + hours(13), NOW)
    assert meetings_of(feed) == before


def test_a_changed_feed_updates_its_meetings_and_deactivates_the_vanished_one(
    feed_server, practice, loopback_allowed, frozen
):
    url = feed_server.serve(body=V1, etag='"v1"', last_modified=LAST_MODIFIED)
    feed = practice_feed(practice, url)
    feed_refresh(feed.pk)
    later = "Wed, 05 Mar 2025 09:00:00 GMT"
    feed_server.serve(body=V2, etag='"v2"', last_modified=later)
    frozen.move_to(NOW + hours(13))

    result = feed_refresh(feed.pk)

    assert result.outcome == "imported"
    assert result.detail == "1 created, 1 updated, 1 unchanged, 1 deactivated, 0 rejected"
    assert feed_server.statuses == [200, 200]  # asked conditionally, and it had changed
    assert feed_server.requests[1].headers["If-None-Match"] == '"v1"'
    assert meetings_of(feed) == {
        "monday-step-study": ("Monday Step Study", True, NOW),
        "tuesday-big-book": ("Tuesday Big Book & Steps", True, NOW + hours(13)),
        "friday-speaker": ("Friday Speaker", False, NOW + hours(13)),  # kept for its plans
        "saturday-newcomers": ("Saturday Newcomers", True, NOW + hours(13)),
    }
    feed.refresh_from_db()
    assert (feed.etag, feed.last_modified, feed.content_sha256) == ('"v2"', later, sha256(V2))
    assert feed.last_imported_at == feed.last_checked_at == NOW + hours(13)


# --- failures keep the meetings ------------------------------------------------------------

HTML_PAGE = b"<head><title>Lakes Intergroup</title></head><body>Meetings</body>"

FAILURES = {
    "server-error": (
        Answer(status=500, body=b"oops"),
        "the server answered 500 Internal Server Error",
    ),
    "web-page": (
        Answer(body=HTML_PAGE, content_type="text/html; charset=utf-8"),
        "this is a web page (HTML), not a meeting feed",
    ),
    "not-json": (Answer(body=b'[{"slug": "monday-'), "is not JSON (line 1, column"),
    "not-a-list": (Answer(body=b'{"error": "database down"}'), "is an object, not a list"),
    # The real cap (25 MB); it is bound into source_fetch as a default, not read per call.
    "announced-too-big": (
        Answer(body=b"", content_length=MAX_SOURCE_BYTES + 1024 * 1024),
        "26 MB is more than the limit (25 MB)",
    ),
    "sent-too-big": (
        Answer(body=b" " * (MAX_SOURCE_BYTES + 1), content_length=False),
        "the response is more than the limit (25 MB)",
    ),
    # A valid feed, trickled for longer than FEED_FETCH_TIMEOUT_SECONDS (1 s here).
    "too-slow": (Answer(body=V2, trickle_seconds=1.5), "no complete answer within 1 second"),
}


@pytest.mark.parametrize("kind", FAILURES)
def test_a_failed_refresh_keeps_the_meetings_and_says_why(
    kind, feed_server, practice, loopback_allowed, settings, frozen
):
    settings.FEED_FETCH_TIMEOUT_SECONDS = 1
    url = feed_server.serve(body=V1, etag='"v1"')
    feed = practice_feed(practice, url)
    feed_refresh(feed.pk)
    before = meetings_of(feed)
    answer, reason = FAILURES[kind]
    feed_server.answers["/feed.json"] = answer
    frozen.move_to(NOW + hours(13))

    result = feed_refresh(feed.pk)

    assert result.outcome == "failed"
    assert reason in result.detail
    feed.refresh_from_db()
    assert feed.last_error == result.detail
    assert feed.failing_since == feed.last_attempt_at == NOW + hours(13)
    assert (feed.status, feed.status_detail) == (FeedStatus.IDLE, "The last import failed")
    assert feed.last_checked_at == feed.last_imported_at == NOW  # the last good read
    assert (feed.etag, feed.content_sha256) == ('"v1"', sha256(V1))
    assert meetings_of(feed) == before

    feed_server.serve(body=V2, etag='"v2"')
    frozen.move_to(NOW + hours(14))
    assert feed_refresh(feed.pk).outcome == "imported"
    feed.refresh_from_db()
    assert (feed.last_error, feed.failing_since) == ("", None)
    assert feed.last_checked_at == NOW + hours(14)


def test_failing_since_is_the_first_failure_and_a_success_clears_it(
    feed_server, practice, loopback_allowed, frozen
):
    url = feed_server.serve(body=V1)
    feed = practice_feed(practice, url)
    feed_refresh(feed.pk)
    feed_server.serve(status=503, body=b"")

    for later in (1, 2, 5):
        frozen.move_to(NOW + hours(later))
        assert feed_refresh(feed.pk).outcome == "failed"

    feed.refresh_from_db()
    assert feed.failing_since == NOW + hours(1)
    assert feed.last_attempt_at == NOW + hours(5)
    assert "503 Service Unavailable" in feed.last_error

    # Back, with the very bytes last imported: a success all the same.
    feed_server.serve(body=V1)
    frozen.move_to(NOW + hours(6))
    assert feed_refresh(feed.pk).outcome == "not-modified"
    feed.refresh_from_db()
    assert (feed.last_error, feed.failing_since, feed.last_checked_at) == ("", None, NOW + hours(6))


def test_an_unexpected_error_is_recorded_and_raised_and_the_feed_is_not_left_busy(
    feed_server, practice, loopback_allowed, monkeypatch, frozen
):
    def broken_import(**kwargs):
        raise RuntimeError("bug in an importer")

    monkeypatch.setattr("groups.feeds.feed_import", broken_import)
    feed = practice_feed(practice, feed_server.serve(body=V1))

    with pytest.raises(RuntimeError, match="bug in an importer"):
        feed_refresh(feed.pk)  # raised, so the worker's log and error tracking see it

    feed.refresh_from_db()
    assert feed.status == FeedStatus.IDLE
    assert feed.last_error == "The import failed unexpectedly; the error is in the worker's log."
    assert feed.failing_since == NOW


def test_a_trickling_server_is_cut_off_at_the_deadline(feed_server):
    url = feed_server.serve(body=V2, trickle_seconds=2)
    started = time.monotonic()

    with pytest.raises(SourceError, match="no complete answer within 0.5 seconds"):
        source_fetch(url, timeout=0.5)

    assert time.monotonic() - started < 1.5  # the deadline, plus one trickled piece


# --- staleness -----------------------------------------------------------------------------


def test_a_feed_not_read_successfully_for_more_than_72_hours_is_stale(
    feed_server, practice, loopback_allowed, frozen
):
    feed = practice_feed(practice, feed_server.serve(body=V1))
    feed_refresh(feed.pk)
    feed_server.serve(status=500)
    frozen.move_to(NOW + hours(1))
    feed_refresh(feed.pk)
    mine = Feed.objects.filter(practice=practice)

    def stale_at(moment: datetime.datetime) -> bool:
        feed.refresh_from_db()
        by_method = feed.is_stale(now=moment, hours=django_settings.FEED_STALE_HOURS)
        assert by_method == (feed in stale_feeds(mine, now=moment))  # the two agree
        return by_method

    assert django_settings.FEED_STALE_HOURS == 72
    assert not stale_at(NOW + hours(71))
    assert stale_at(NOW + hours(72) + datetime.timedelta(minutes=1))

    feed_server.serve(body=V2)
    frozen.move_to(NOW + hours(73))
    feed_refresh(feed.pk)
    assert not stale_at(NOW + hours(73))


@pytest.mark.parametrize(("age", "stale"), [(71, False), (73, True)])
def test_a_feed_never_read_is_stale_72_hours_after_it_was_added(practice, age, stale):
    feed = practice_feed(
        practice, "https://lakes.example.org/feed.json", created_at=NOW - hours(age)
    )

    assert feed.is_stale(now=NOW, hours=72) is stale
    assert list(stale_feeds(Feed.objects.all(), now=NOW)) == ([feed] if stale else [])


def test_a_paused_feed_and_an_uploaded_file_are_never_stale(practice):
    long_ago = NOW - hours(500)
    paused = practice_feed(
        practice,
        "https://lakes.example.org/feed.json",
        is_paused=True,
        created_at=long_ago,
        last_checked_at=long_ago,
        failing_since=long_ago,
    )
    uploaded = practice_feed(practice, name="Our list", upload=V1, created_at=long_ago)

    assert not paused.is_stale(now=NOW, hours=72)
    assert not uploaded.is_stale(now=NOW, hours=72)
    assert not stale_feeds(Feed.objects.all(), now=NOW).exists()


# --- addresses inside the server's network ------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_practice_feed_inside_the_servers_network_is_refused_unfetched(
    feed_server, practice, host
):
    assert django_settings.FEED_ALLOW_PRIVATE_ADDRESSES is False
    url = feed_server.serve(body=V1).replace("127.0.0.1", host)
    feed = practice_feed(practice, url)

    result = feed_refresh(feed.pk)

    assert result.outcome == "failed"
    assert result.detail == (
        f"{url}: {host} is an address inside this server's network; "
        "only public web addresses can be imported."
    )
    assert feed_server.requests == []
    assert not Meeting.objects.filter(feed=feed).exists()


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1]/feed.json",
        "http://10.1.2.3/feed.json",
        "http://192.168.0.10/feed.json",
        "http://169.254.169.254/latest/meta-data/",  # a cloud's metadata service
        "http://0.0.0.0/feed.json",
    ],
)
def test_private_and_link_local_addresses_are_refused_before_connecting(url):
    with pytest.raises(SourceError, match="inside this server's network"):
        source_fetch(url, timeout=1, allow_private=False)


def test_the_operators_own_feed_may_be_on_loopback(feed_server):
    # The operator's feeds (no practice) are set up by whoever runs the server.
    feed = Feed.objects.create(
        name="Mirror", format=FeedFormat.MEETING_GUIDE, source=feed_server.serve(body=V1)
    )

    assert feed_refresh(feed.pk).outcome == "imported"
    assert Meeting.objects.filter(feed=feed).count() == 3


def test_a_public_address_redirecting_inside_the_network_is_refused(proxied, practice):
    inside = proxied.serve("/admin", body=b"[]")
    proxied.serve("/feed.json", status=302, location=inside)
    feed = practice_feed(practice, f"http://{PUBLIC_HOST}/feed.json")

    result = feed_refresh(feed.pk)

    assert result.outcome == "failed"
    assert "127.0.0.1 is an address inside this server's network" in result.detail
    assert [seen.target for seen in proxied.requests] == [f"http://{PUBLIC_HOST}/feed.json"]


def test_a_redirect_to_another_public_address_is_followed(proxied):
    proxied.serve("/moved.json", body=V1)
    proxied.serve("/feed.json", status=301, location="http://93.184.215.15/moved.json")

    fetched = source_fetch(f"http://{PUBLIC_HOST}/feed.json", allow_private=False)

    assert fetched.body == V1
    assert proxied.statuses == [301, 200]


def test_a_redirect_to_something_other_than_a_web_address_is_refused(proxied):
    proxied.serve("/feed.json", status=302, location="ftp://files.example.org/feed.json")

    with pytest.raises(
        SourceError, match="redirected to ftp://files.example.org/feed.json, not a web"
    ):
        source_fetch(f"http://{PUBLIC_HOST}/feed.json", allow_private=False)


def test_an_address_with_an_impossible_port_fails_the_feed_without_raising(practice):
    feed = practice_feed(practice, "https://lakes.example.org:99999/feed.json")

    result = feed_refresh(feed.pk)

    assert result.outcome == "failed"
    feed.refresh_from_db()
    assert feed.last_error.endswith("the port in this address is not a valid one.")


# --- one import at a time ------------------------------------------------------------------


def test_a_feed_another_worker_is_fetching_is_left_alone(feed_server, practice, loopback_allowed):
    claimed_at = timezone.now() - datetime.timedelta(minutes=2)
    feed = practice_feed(
        practice,
        feed_server.serve(body=V1),
        status=FeedStatus.FETCHING,
        status_changed_at=claimed_at,
    )

    result = feed_refresh(feed.pk)

    assert (result.outcome, result.detail) == ("busy", "another import of this feed is under way")
    assert feed_server.requests == []
    feed.refresh_from_db()
    assert (feed.status, feed.status_changed_at, feed.last_attempt_at) == (
        FeedStatus.FETCHING,
        claimed_at,
        None,
    )


def test_a_claim_older_than_the_lease_is_taken_over(
    feed_server, practice, loopback_allowed, frozen
):
    lease = datetime.timedelta(seconds=django_settings.FEED_IMPORT_LEASE_SECONDS)
    feed = practice_feed(
        practice,
        feed_server.serve(body=V1),
        status=FeedStatus.IMPORTING,  # a worker died mid-import
        status_changed_at=NOW - lease - datetime.timedelta(seconds=1),
    )

    assert feed_refresh(feed.pk).outcome == "imported"
    feed.refresh_from_db()
    assert feed.status == FeedStatus.IDLE


def test_a_removed_feed_is_gone():
    assert feed_refresh(987654).outcome == "gone"


def test_queueing_twice_sends_one_task(practice, django_capture_on_commit_callbacks):
    feed = practice_feed(practice, "https://lakes.example.org/feed.json")

    with django_capture_on_commit_callbacks(execute=False) as queued:
        first, second = feed_queue(feed), feed_queue(feed)

    assert (first, second) == (True, False)
    assert len(queued) == 1
    feed.refresh_from_db()
    assert feed.status == FeedStatus.QUEUED


def test_a_queued_message_lost_for_longer_than_the_lease_may_be_queued_again(
    practice, django_capture_on_commit_callbacks
):
    lease = datetime.timedelta(seconds=django_settings.FEED_IMPORT_LEASE_SECONDS)
    recent = practice_feed(
        practice,
        "https://lakes.example.org/feed.json",
        status=FeedStatus.QUEUED,
        status_changed_at=timezone.now() - datetime.timedelta(minutes=1),
    )
    lost = practice_feed(
        practice,
        "https://hills.example.org/feed.json",
        name="Hills Intergroup",
        status=FeedStatus.QUEUED,
        status_changed_at=timezone.now() - lease - datetime.timedelta(minutes=1),
    )

    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert feed_queue(recent) is False
        assert feed_queue(lost) is True

    assert len(queued) == 1


def needs_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("a real race needs PostgreSQL's row locks; SQLite serialises every writer")


def run_in_two_threads(work):
    """Run `work()` in two threads released together; each has its own connection."""
    barrier = threading.Barrier(2)

    def worker():
        try:
            barrier.wait(timeout=10)
            return work()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(worker) for _ in range(2)]
        return [future.result(timeout=60) for future in futures]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_refreshing_one_feed_at_once_make_one_import(
    feed_server, practice, loopback_allowed
):
    needs_postgresql()
    # The answer takes a moment, so the second worker arrives while the first holds the claim.
    feed = practice_feed(practice, feed_server.serve(body=V1, delay_seconds=0.3))

    outcomes = run_in_two_threads(lambda: feed_refresh(feed.pk).outcome)

    assert sorted(outcomes) == ["busy", "imported"]
    assert len(feed_server.requests) == 1
    assert Meeting.objects.filter(feed=feed).count() == 3
    assert Feed.objects.get(pk=feed.pk).status == FeedStatus.IDLE


# --- scheduling ----------------------------------------------------------------------------


def test_feeds_due_are_the_never_tried_the_old_and_the_failing(practice):
    url = "https://lakes.example.org/feed.json"

    def feed(name, **fields):
        return practice_feed(practice, fields.pop("source", url), name=name, **fields)

    never = feed("Never tried")
    old = feed("Tried 13 h ago", last_attempt_at=NOW - hours(13))
    failing = feed(
        "Failing, tried 2 h ago", last_attempt_at=NOW - hours(2), failing_since=NOW - hours(5)
    )
    feed("Tried 11 h ago", last_attempt_at=NOW - hours(11))
    feed(
        "Failing, tried 30 min ago", last_attempt_at=NOW - hours(0.5), failing_since=NOW - hours(5)
    )
    feed("Paused", is_paused=True)
    feed("Uploaded", source="", upload=V1)
    Feed.objects.create(name="Operator's file", format=FeedFormat.BMLT, source="/srv/feeds/na.json")

    assert set(feeds_due(now=NOW)) == {never, old, failing}


def test_feeds_refresh_due_queues_each_due_feed_once(practice, django_capture_on_commit_callbacks):
    due = [
        practice_feed(practice, "https://lakes.example.org/feed.json"),
        practice_feed(practice, "https://hills.example.org/feed.json", name="Hills"),
    ]
    practice_feed(
        practice, "https://vale.example.org/feed.json", name="Vale", last_attempt_at=NOW - hours(1)
    )

    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert feeds_refresh_due(now=NOW) == 2
        assert feeds_refresh_due(now=NOW) == 0  # still queued: not sent again

    assert len(queued) == 2
    assert set(Feed.objects.filter(status=FeedStatus.QUEUED)) == set(due)


def test_beat_runs_the_refresh_task_more_often_than_a_failing_feed_is_retried():
    entry = django_settings.CELERY_BEAT_SCHEDULE["refresh-feeds"]

    assert entry["task"] == "groups.tasks.refresh_feeds" == refresh_feeds.name
    assert entry["task"] in celery_app.tasks
    assert entry["schedule"] < django_settings.FEED_RETRY_HOURS * 3600


# --- uploaded files, removal, the task -----------------------------------------------------


def test_an_uploaded_feed_imports_its_bytes_and_the_same_bytes_are_not_modified(practice, frozen):
    feed = practice_feed(practice, upload=V1, upload_name="lakes.json")

    assert feed_refresh(feed.pk).outcome == "imported"
    assert Meeting.objects.filter(feed=feed, is_active=True).count() == 3
    frozen.move_to(NOW + hours(1))
    assert feed_refresh(feed.pk).outcome == "not-modified"

    feed.refresh_from_db()
    assert (feed.last_imported_at, feed.last_checked_at) == (NOW, NOW + hours(1))
    assert feed.content_sha256 == sha256(V1)
    Feed.objects.filter(pk=feed.pk).update(upload=V2)  # a new version uploaded
    assert feed_refresh(feed.pk).outcome == "imported"
    assert Meeting.objects.get(source_key="friday-speaker").is_active is False


def test_removing_a_feed_keeps_its_meetings_inactive_for_the_plans_that_use_them(
    practice, client_record
):
    feed = practice_feed(practice, "https://lakes.example.org/feed.json")
    planned = MeetingFactory(feed=feed, source_key="tuesday-big-book", name="Tuesday Big Book")
    MeetingFactory(feed=feed, source_key="monday-step-study")
    MeetingFactory(feed=feed, source_key="friday-speaker", is_active=False)
    plan = MeetingPlanFactory(client=client_record, meeting=planned)

    assert feed_remove(feed) == 2  # the two still listed

    assert not Feed.objects.filter(pk=feed.pk).exists()
    assert Meeting.objects.count() == 3
    assert not Meeting.objects.filter(is_active=True).exists()
    assert not Meeting.objects.filter(feed__isnull=False).exists()
    loaded = MeetingPlan.objects.select_related("meeting").get(pk=plan.pk)
    assert (loaded.meeting.name, loaded.meeting.is_active) == ("Tuesday Big Book", False)


def test_the_queued_task_imports_the_feed(
    feed_server, practice, loopback_allowed, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    feed = practice_feed(practice, feed_server.serve(body=V1))

    with django_capture_on_commit_callbacks(execute=True) as queued:
        assert feed_queue(feed)
        assert not Meeting.objects.filter(feed=feed).exists()  # nothing before the commit

    assert len(queued) == 1
    assert Meeting.objects.filter(feed=feed).count() == 3
    feed.refresh_from_db()
    assert (feed.status, feed.content_sha256) == (FeedStatus.IDLE, sha256(V1))
