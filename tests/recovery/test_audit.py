"""The audit trail is append-only and records what services tell it."""

import pytest
from django.db import transaction
from django.test import RequestFactory

from recovery.models import AppendOnlyError, AuditAction, AuditEvent
from recovery.services import audit


@pytest.fixture
def event(therapist, client_record):
    request = RequestFactory().get("/", REMOTE_ADDR="198.51.100.4", HTTP_USER_AGENT="Firefox")
    return audit(action=AuditAction.VIEW, actor=therapist, client=client_record, request=request)


def test_audit_records_who_what_which_record_and_where(event, therapist, client_record):
    assert event.actor == therapist
    assert event.practice == client_record.practice
    assert event.client_id == client_record.pk
    assert event.object_type == "clients.client"
    assert event.object_id == str(client_record.pk)
    assert event.ip_address == "198.51.100.4"
    assert event.user_agent == "Firefox"
    assert event.at is not None


def test_an_audit_event_cannot_be_changed(event):
    event.action = AuditAction.UPDATE
    with pytest.raises(AppendOnlyError):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).action == AuditAction.VIEW


def test_an_audit_event_cannot_be_deleted(event):
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_audit_events_cannot_be_updated_or_deleted_in_bulk(event):
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action=AuditAction.DELETE)
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    # bulk_update runs inside an atomic block of its own; keep the test's transaction usable.
    with pytest.raises(AppendOnlyError), transaction.atomic():
        AuditEvent.objects.bulk_update([event], ["action"])
    assert AuditEvent.objects.get(pk=event.pk).action == AuditAction.VIEW


def test_the_trail_outlives_the_record_it_names(event, client_record):
    # No database constraint ties the event to the client row: erasing a client after its
    # retention period must not erase who looked at it.
    field = AuditEvent._meta.get_field("client")
    assert field.db_constraint is False
