"""`GET /healthz`: is this deployment able to do its work? For monitoring, with no sign-in.

Built on django-health-check: each part is a check that raises when it is down, run side by
side with a timeout. The answer names each part and never a client, a person or a secret:

    {"status": "ok", "checks": {"database": {"ok": true}, "broker": {"ok": true},
     "worker_heartbeat": {"ok": true, "age_seconds": 12.0}, "beat": {"ok": true, ...}}}

200 when every part is well, 503 when any is not: the database or the broker cannot be
reached, or no worker (or beat) has been heard from for HEALTH_HEARTBEAT_STALE_SECONDS.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db.models import Max
from django.http import JsonResponse
from django.utils import timezone
from health_check.base import HealthCheck
from health_check.checks import Database
from health_check.exceptions import HealthCheckException, ServiceUnavailable
from health_check.views import HealthCheckView

from recovery.celery import app as celery_app
from recovery.models import BeatTick, Heartbeat


@dataclasses.dataclass
class Broker(HealthCheck):
    """The Celery broker (Redis, or the filesystem transport's folders) takes a connection."""

    def run(self) -> None:
        timeout = settings.HEALTH_BROKER_TIMEOUT_SECONDS
        try:
            with celery_app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=timeout)
                conn.default_channel  # noqa: B018 - opening a channel proves the broker answers
        except Exception as error:
            # The class only: a broker URL in the message could carry a password.
            raise ServiceUnavailable(f"broker unreachable ({type(error).__name__})") from error


@dataclasses.dataclass
class LastSeen(HealthCheck):
    """The newest of a model's timestamps is younger than HEALTH_HEARTBEAT_STALE_SECONDS."""

    what: str = ""
    age_seconds: float | None = dataclasses.field(default=None, repr=False)

    def newest(self) -> datetime.datetime | None:
        raise NotImplementedError

    async def run(self) -> None:
        # In the request's own thread, on its own database connection (closed with the
        # request as usual), not in a pool thread that would leave a connection behind.
        newest = await sync_to_async(self.newest, thread_sensitive=True)()
        if newest is None:
            raise ServiceUnavailable(f"no {self.what} yet")
        self.age_seconds = round((timezone.now() - newest).total_seconds(), 1)
        if self.age_seconds > settings.HEALTH_HEARTBEAT_STALE_SECONDS:
            raise ServiceUnavailable(f"{self.what} is stale ({self.age_seconds:g} s old)")


@dataclasses.dataclass
class WorkerHeartbeat(LastSeen):
    what: str = "worker heartbeat"

    def newest(self):
        return Heartbeat.objects.aggregate(newest=Max("last_seen_at"))["newest"]


@dataclasses.dataclass
class BeatFreshness(LastSeen):
    what: str = "beat tick"

    def newest(self):
        return BeatTick.objects.aggregate(newest=Max("last_tick_at"))["newest"]


CHECKS = {
    "database": Database,
    "broker": Broker,
    "worker_heartbeat": WorkerHeartbeat,
    "beat": BeatFreshness,
}


class HealthView(HealthCheckView):
    checks = tuple(CHECKS.values())

    async def get(self, request, *args, **kwargs):
        # The library renders HTML, text and feeds too; monitoring wants JSON, always.
        with self.get_executor() as executor:
            self.results = await asyncio.gather(
                *(check.get_result(executor) for check in self.get_checks())
            )
        parts = {}
        for name, result in zip(CHECKS, self.results, strict=True):
            part: dict = {"ok": result.error is None}
            if isinstance(result.error, HealthCheckException):
                part["error"] = result.error.message
            age = getattr(result.check, "age_seconds", None)
            if age is not None:
                part["age_seconds"] = age
            parts[name] = part
        healthy = all(part["ok"] for part in parts.values())
        return JsonResponse(
            {"status": "ok" if healthy else "unavailable", "checks": parts},
            status=200 if healthy else 503,
        )


healthz = HealthView.as_view()
