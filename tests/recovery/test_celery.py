"""Celery: the heartbeat proves beat → broker → worker, with real processes when Redis is up."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from recovery.celery import app
from recovery.models import BeatTick, Heartbeat
from recovery.tasks import heartbeat

ROOT = Path(__file__).resolve().parents[2]


def test_beat_schedules_the_heartbeat():
    entry = settings.CELERY_BEAT_SCHEDULE["heartbeat"]
    assert entry["task"] == heartbeat.name
    assert entry["task"] in app.tasks


def test_the_heartbeat_task_records_each_beat(db):
    heartbeat.apply()
    heartbeat.apply()
    beat = Heartbeat.objects.get()
    assert beat.beats == 2
    assert beat.is_fresh


def wait_for(predicate, *, timeout: float, what: str):
    """Poll a real process's side effect; real processes take real time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := predicate():
            return result
        time.sleep(0.25)
    pytest.fail(f"Timed out after {timeout:.0f}s waiting for {what}.")


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="set REDIS_URL to test with Redis")
# Committed rows, so the worker processes see them. serialized_rollback as in every other
# transactional test: a plain flush recreates the content types under new ids, and a later
# test restoring the serialized rows would then collide with them.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_beat_broker_and_worker_deliver_the_heartbeat(tmp_path):
    """Real `celery beat` and `celery worker` processes, the real Redis, the test database."""
    if connection.vendor == "sqlite":
        pytest.skip("the worker process needs a database it can share: run with DATABASE_URL")
    db = connection.settings_dict
    credentials = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    env = {
        **os.environ,
        # The worker writes into this test's own database.
        "DATABASE_URL": f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}",
        "HEARTBEAT_SECONDS": "1",
        # A queue of its own, so a dev server sharing this Redis cannot take our beats.
        "CELERY_QUEUE": f"test-{uuid.uuid4().hex}",
        "VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "recovery.settings",
    }
    celery = [sys.executable, "-m", "celery", "-A", "recovery"]
    processes = [
        subprocess.Popen(
            [
                *celery,
                "worker",
                "--pool=solo",
                "--without-mingle",
                "--without-gossip",
                "--loglevel=INFO",
                "--hostname",
                "heartbeat-test@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
        subprocess.Popen(
            [*celery, "beat", "--loglevel=INFO"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
    ]
    try:
        beat = wait_for(
            lambda: Heartbeat.objects.filter(worker__startswith="heartbeat-test@").first(),
            timeout=60,
            what="a heartbeat from the worker",
        )
        wait_for(
            lambda: Heartbeat.objects.get(pk=beat.pk).beats >= 2,
            timeout=30,
            what="a second beat",
        )
        # Beat itself recorded when it sent them (the tick /healthz reads as beat's freshness).
        assert BeatTick.objects.filter(
            last_tick_at__lte=Heartbeat.objects.get(pk=beat.pk).last_seen_at
        ).exists()
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
