"""Outcome measures: answers in, scored by clients.outcomes, stored encrypted, audited."""

import datetime
from collections.abc import Mapping

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from clients.models import Client, MeasureRequest, MeasureSource, OutcomeMeasure
from clients.outcomes import INSTRUMENTS, score
from clients.selectors import Need
from clients.services.common import ensure_access
from recovery.models import AuditAction, User
from recovery.services import audit


def outcome_measure_store(
    *,
    client: Client,
    instrument: str,
    responses: Mapping[str, int | str],
    administered_on: datetime.date,
    source: str,
    entered_by: User | None = None,
    measure_request: MeasureRequest | None = None,
) -> OutcomeMeasure:
    """Score and save one administration; the stored figures are always the code's.

    Callers check who may record it; this refuses what no one may: an unknown instrument,
    answers the instrument does not take (ValidationError naming the item, nothing saved), a
    restricted record, a date in the future.
    """
    if instrument not in INSTRUMENTS:
        raise ValidationError({"instrument": "Unknown instrument."})
    if client.is_restricted:
        raise PermissionDenied("This record is restricted after an erasure request.")
    # A day's grace: the client may be a time zone ahead of the server.
    if administered_on > timezone.localdate() + datetime.timedelta(days=1):
        raise ValidationError({"administered_on": "The date cannot be in the future."})
    try:
        result = score(instrument, responses)
    except ValueError as error:
        raise ValidationError({"responses": str(error)}) from None
    return OutcomeMeasure.objects.create(
        client=client,
        instrument=instrument,
        administered_on=administered_on,
        responses=dict(responses),
        total=result.total,
        subscales=result.subscales,
        band=result.band or "",
        safety_flag=bool(result.flags),
        source=source,
        entered_by=entered_by,
        request=measure_request,
    )


@transaction.atomic
def outcome_measure_record(
    *,
    actor: User,
    client: Client,
    instrument: str,
    responses: Mapping[str, int | str],
    administered_on: datetime.date,
    request: HttpRequest | None = None,
) -> OutcomeMeasure:
    """The therapist enters a measure on the client's page."""
    ensure_access(actor, client, Need.CLINICIAN)
    measure = outcome_measure_store(
        client=client,
        instrument=instrument,
        responses=responses,
        administered_on=administered_on,
        source=MeasureSource.THERAPIST,
        entered_by=actor,
    )
    audit(action=AuditAction.CREATE, actor=actor, client=client, obj=measure, request=request)
    return measure
