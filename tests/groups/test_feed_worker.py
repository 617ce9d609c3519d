"""Import now, end to end: the page queues, a real Celery worker fetches over http and imports.

Needs PostgreSQL (the worker process shares this test's database) and Redis (the broker);
CI runs it, a laptop without them skips it.
"""

import http.server
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.urls import reverse

from groups.models import Feed, FeedFormat, FeedStatus, Meeting
from recovery.celery import app as celery_app
from tests.conftest import signed_in
from tests.factories import PracticeFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
FEED = (Path(__file__).parent / "fixtures" / "meeting_guide_tricky.json").read_bytes()


class SlowFeed(http.server.BaseHTTPRequestHandler):
    """The feed, after a pause long enough to see the worker fetching it."""

    requests: list[str] = []
    release = threading.Event()

    def do_GET(self):
        type(self).requests.append(self.path)
        type(self).release.wait(timeout=20)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(FEED)))
        self.send_header("ETag", '"tricky-1"')
        self.end_headers()
        self.wfile.write(FEED)

    def log_message(self, *args):
        pass


def wait_for(predicate, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := predicate():
            return result
        time.sleep(0.2)
    pytest.fail(f"Timed out after {timeout:.0f}s waiting for {what}.")


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="set REDIS_URL to test with Redis")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_import_now_is_done_by_a_worker_while_the_page_shows_progress(tmp_path, monkeypatch):
    if connection.vendor == "sqlite":
        pytest.skip("the worker process needs a database it can share: run with DATABASE_URL")
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    queue = f"test-{uuid.uuid4().hex}"
    # This process sends to the worker's queue of its own, so no other worker takes the task.
    monkeypatch.setitem(celery_app.conf, "task_default_queue", queue)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowFeed)
    SlowFeed.requests, SlowFeed.release = [], threading.Event()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    practice = PracticeFactory(name="Harbor Counseling")
    admin = UserFactory(practice=practice, role="admin", full_name="Avery Admin")
    feed = Feed.objects.create(
        practice=practice,
        name="Lakes",
        format=FeedFormat.MEETING_GUIDE,
        source=f"http://127.0.0.1:{server.server_address[1]}/feed.json",
        default_time_zone="America/Los_Angeles",
    )
    db = connection.settings_dict
    credentials = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_QUEUE": queue,
        "VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "recovery.settings",
        # The test's feed server is on loopback, which a practice feed may not use otherwise.
        "FEED_ALLOW_PRIVATE_ADDRESSES": "1",
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "recovery",
            "worker",
            "--pool=solo",
            "--without-mingle",
            "--without-gossip",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        browser = signed_in(admin)
        response = browser.post(reverse("groups:feed_import", args=[feed.pk]), follow=True)

        # The request queued the import and returned; nothing was fetched in it.
        assert "An import of “Lakes” is queued." in response.content.decode()
        assert not Meeting.objects.filter(feed=feed).exists()
        status_url = reverse("groups:feed_status", args=[feed.pk])
        fetching = wait_for(
            lambda: (
                "Fetching the feed" in (page := browser.get(status_url).content.decode()) and page
            ),
            timeout=60,
            what="the worker to start fetching",
        )
        assert 'hx-trigger="every 2s"' in fetching
        SlowFeed.release.set()
        wait_for(
            lambda: (
                Feed.objects.get(pk=feed.pk).status == FeedStatus.IDLE
                and Meeting.objects.filter(feed=feed).exists()
            ),
            timeout=30,
            what="the worker to import the feed",
        )
        feed.refresh_from_db()
        assert Meeting.objects.filter(feed=feed).count() == 9
        assert (feed.etag, feed.last_error) == ('"tricky-1"', "")
        done = browser.get(status_url + "?was=busy", HTTP_HX_REQUEST="true")
        assert done["HX-Refresh"] == "true"
        assert SlowFeed.requests == ["/feed.json"]
    finally:
        SlowFeed.release.set()
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
        server.shutdown()
        server.server_close()
