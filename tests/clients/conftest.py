"""Fixtures for the client app's tests: the SMTP server, and a client ready for reminders."""

import datetime

import pytest

from tests.factories import ClientFactory, MeetingPlanFactory
from tests.smtp import closed_port, smtp_server, smtp_sink  # noqa: F401 - fixtures

CONSENTED_AT = datetime.datetime(2026, 1, 5, 15, 0, tzinfo=datetime.UTC)
# Before every instant the reminder tests travel to: no occurrence predates its plan.
PLANNED_AT = datetime.datetime(2026, 1, 5, 15, 30, tzinfo=datetime.UTC)


@pytest.fixture
def consenting_client(therapist):
    """An active client whose consent to reminder emails is on record."""
    return ClientFactory(
        primary_therapist=therapist,
        preferred_name="Riley",
        contact_email="riley@example.net",
        email_consent_at=CONSENTED_AT,
        email_consent_recorded_by=therapist,
        email_consent_text="I agree to receive reminder emails.",
    )


@pytest.fixture
def make_plan(consenting_client):
    """Build a plan for `consenting_client` (or another client), with meeting fields."""

    def make(
        *, client=None, starts_on=datetime.date(2026, 1, 1), created_at=PLANNED_AT, **meeting_fields
    ):
        fields = {f"meeting__{name}": value for name, value in meeting_fields.items()}
        return MeetingPlanFactory(
            client=client or consenting_client,
            starts_on=starts_on,
            created_at=created_at,
            **fields,
        )

    return make
