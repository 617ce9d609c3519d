"""Celery entry points: thin, no arguments, the database holds the state."""

from celery import shared_task
from django.utils import timezone

from clients.services.measure_requests import measure_requests_plan
from clients.services.records import printed_copies_expire
from clients.services.reminders import reminders_dispatch, reminders_plan


@shared_task(name="clients.tasks.plan_reminders")
def plan_reminders() -> int:
    return reminders_plan(now=timezone.now())


@shared_task(name="clients.tasks.dispatch_reminders")
def dispatch_reminders() -> dict:
    outcome = reminders_dispatch()
    return vars(outcome)


@shared_task(name="clients.tasks.expire_printed_copies")
def expire_printed_copies() -> int:
    return printed_copies_expire(now=timezone.now())


@shared_task(name="clients.tasks.plan_measure_requests")
def plan_measure_requests() -> int:
    return measure_requests_plan(now=timezone.now())
