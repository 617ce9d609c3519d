"""/healthz: what monitoring reads. No sign-in, no client data, never cached; 503 when a part
the practice depends on is down."""

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from recovery import celery as celery_module
from recovery.celery import app as celery_app
from recovery.models import BeatTick, Heartbeat

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime.datetime(2026, 12, 3, 15, 0, tzinfo=datetime.UTC)


@pytest.fixture
def alive(db):
    Heartbeat.objects.create(worker="celery@web1", last_seen_at=NOW, beats=10)
    BeatTick.objects.create(host="web1", last_tick_at=NOW)


def healthz(client) -> tuple[int, dict, object]:
    response = client.get("/healthz")
    return response.status_code, json.loads(response.content), response


@time_machine.travel(NOW + datetime.timedelta(seconds=30), tick=False)
def test_all_parts_well_is_200_with_each_part_named(client, alive):
    status, answer, response = healthz(client)
    assert status == 200
    assert answer["status"] == "ok"
    assert answer["checks"] == {
        "database": {"ok": True},
        "broker": {"ok": True},
        "worker_heartbeat": {"ok": True, "age_seconds": 30.0},
        "beat": {"ok": True, "age_seconds": 30.0},
    }
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Type"] == "application/json"


def test_it_needs_no_sign_in_and_names_no_worker_or_practice(client, alive, therapist):
    status, answer, _response = healthz(client)
    text = json.dumps(answer)
    assert "web1" not in text and therapist.practice.name not in text


@time_machine.travel(NOW + datetime.timedelta(minutes=10), tick=False)
def test_a_stale_heartbeat_is_503(client, alive, settings):
    settings.HEALTH_HEARTBEAT_STALE_SECONDS = 180
    BeatTick.objects.update(last_tick_at=timezone.now())
    status, answer, _response = healthz(client)
    assert status == 503
    assert answer["status"] == "unavailable"
    assert answer["checks"]["worker_heartbeat"] == {
        "ok": False,
        "error": "worker heartbeat is stale (600 s old)",
        "age_seconds": 600.0,
    }
    assert answer["checks"]["beat"]["ok"] is True


@time_machine.travel(NOW + datetime.timedelta(minutes=10), tick=False)
def test_beat_stopped_with_workers_alive_is_503_and_says_beat(client, alive):
    Heartbeat.objects.update(last_seen_at=timezone.now())
    status, answer, _response = healthz(client)
    assert status == 503
    assert answer["checks"]["beat"]["ok"] is False
    assert answer["checks"]["worker_heartbeat"]["ok"] is True


def test_no_worker_ever_seen_is_503(client, db):
    status, answer, _response = healthz(client)
    assert status == 503
    assert answer["checks"]["worker_heartbeat"] == {"ok": False, "error": "no worker heartbeat yet"}


@time_machine.travel(NOW, tick=False)
def test_an_unreachable_broker_is_503(client, alive, monkeypatch):
    # A port nothing listens on: the connection is refused at once.
    # The write URL first: unset, it reads as broker_url, and monkeypatch restores what it read,
    # so patched second it would keep the dead port for every later test in this process.
    monkeypatch.setattr(celery_app.conf, "broker_write_url", None)
    monkeypatch.setattr(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")
    status, answer, _response = healthz(client)
    assert status == 503
    assert answer["checks"]["broker"]["ok"] is False
    assert answer["checks"]["broker"]["error"].startswith("broker unreachable")
    assert "127.0.0.1" not in answer["checks"]["broker"]["error"]


def test_an_unreachable_database_is_503(tmp_path):
    # A real app process whose database refuses connections: nothing else fails first.
    code = (
        "import json, django\n"
        "django.setup()\n"
        "from django.test import Client\n"
        "r = Client(HTTP_HOST='127.0.0.1').get('/healthz')\n"
        "print(r.status_code, r.content.decode())\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "recovery.settings",
            "VAR_DIR": str(tmp_path),
            "DATABASE_URL": "postgres://postgres@127.0.0.1:1/recovery",
        }
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    status, body = result.stdout.strip().splitlines()[-1].split(" ", 1)
    answer = json.loads(body)
    assert status == "503"
    assert answer["checks"]["database"]["ok"] is False
    assert answer["checks"]["broker"]["ok"] is True
    # The error names the part, never the address or the credentials.
    assert "postgres@" not in body


def test_beat_records_its_tick_when_it_sends_the_heartbeat(db, monkeypatch):
    monkeypatch.setattr(celery_module, "_in_beat", True)
    celery_module._record_beat_tick(sender="recovery.tasks.heartbeat")
    celery_module._record_beat_tick(sender="clients.tasks.dispatch_reminders")
    assert BeatTick.objects.count() == 1


def test_other_processes_sending_the_heartbeat_are_not_beat(db):
    celery_module._record_beat_tick(sender="recovery.tasks.heartbeat")
    assert not BeatTick.objects.exists()
