"""The audit review page: a manager's or admin's view of who did what in their practice."""

import csv
import datetime

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from clients.models import Client
from clients.views.dashboard import neutralise
from recovery.audit_display import client_actor_label, describe_events
from recovery.audit_filters import AuditFilter
from recovery.models import AuditAction, AuditEvent
from recovery.services import audit

PAGE_SIZE = 50
CSV_HEADER = [
    "When (UTC)",
    "Who",
    "Sign-in name typed",
    "Action",
    "Client number",
    "Client",
    "Record type",
    "Record number",
    "IP address",
    "Browser",
]


class _Echo:
    """csv.writer writes into this; each row goes straight to the response."""

    def write(self, value: str) -> str:
        return value


def _who(event: AuditEvent) -> str:
    if event.actor:
        return event.actor.full_name
    return client_actor_label(event)


def _csv_rows(events):
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_HEADER)
    for event in events.iterator(chunk_size=2_000):
        yield writer.writerow(
            [
                neutralise(cell)
                for cell in (
                    event.at.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S"),
                    _who(event),
                    event.actor_identifier,
                    event.get_action_display(),
                    event.client_id or "",
                    event.client.preferred_name if event.client else "",
                    event.object_type,
                    event.object_id,
                    event.ip_address or "",
                    event.user_agent,
                )
            ]
        )


@require_GET
@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.sees_whole_practice:
        # As for any page outside a user's scope: not found, not forbidden.
        raise Http404("The audit trail is for practice managers and admins.")
    # The client is prefetched, not joined: a filter on client_id would turn the join into an
    # inner one and drop the trail of a deleted client, whose row is gone.
    events = (
        AuditEvent.objects.filter(practice_id=user.practice_id)
        .select_related("actor")
        .prefetch_related("client")
    )
    filters = AuditFilter(request.GET, queryset=events, user=user)
    rows = filters.qs  # an invalid filter shows its error and leaves the list unfiltered
    # The trail names clients but holds no clinical content: browsing it is like reading the
    # caseload list, which is not recorded either. Narrowing it to a client is looking up that
    # person's history, and is recorded for each client the search matched.
    looked_up = _clients_looked_up(filters, rows)
    if request.GET.get("format") == "csv":
        for client in looked_up or [None]:
            audit(action=AuditAction.EXPORT, actor=user, client=client, request=request)
        response = StreamingHttpResponse(_csv_rows(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="audit-trail.csv"'
        return response
    for client in looked_up:
        audit(action=AuditAction.VIEW, actor=user, client=client, request=request)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    describe_events(page.object_list, practice_id=user.practice_id)
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    return render(
        request,
        "audit/audit_log.html",
        {"filters": filters, "page": page, "query_string": query.urlencode()},
    )


def _clients_looked_up(filters: AuditFilter, rows) -> list[Client]:
    """The existing clients a client-filtered trail shows; none when no client filter is set."""
    if not filters.is_valid() or not filters.form.cleaned_data.get("client"):
        return []
    ids = rows.exclude(client_id=None).order_by().values("client_id").distinct()
    return list(Client.objects.filter(pk__in=ids).select_related("practice"))
