from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from clients.selectors import caseload_for_user, get_client_for_user
from recovery.models import AuditAction
from recovery.services import audit

CASELOAD_PAGE_SIZE = 25


@login_required
def caseload(request):
    query = request.GET.get("q", "").strip()[:100]
    clients = caseload_for_user(request.user)
    if query:
        clients = clients.filter(preferred_name__icontains=query)
    page = Paginator(clients, CASELOAD_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "clients/caseload.html", {"page": page, "query": query})


@login_required
def client_detail(request, pk: int):
    client = get_client_for_user(request.user, pk)
    audit(action=AuditAction.VIEW, actor=request.user, client=client, request=request)
    # Note text is for the client's own therapist; a manager sees that notes exist, not
    # what they say.
    can_read_notes = client.primary_therapist_id == request.user.pk
    notes = client.session_notes.select_related("author").prefetch_related(
        "note_themes__theme", "addenda"
    )
    context = {
        "client": client,
        "can_read_notes": can_read_notes,
        "notes": notes[:20],
        "ladder_moves": client.ladder_moves.select_related("recorded_by")[:20],
        "plans": client.meeting_plans.select_related("meeting__program").filter(
            cancelled_at__isnull=True
        )[:10],
    }
    return render(request, "clients/client_detail.html", context)
