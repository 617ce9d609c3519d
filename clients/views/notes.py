"""Session notes: drafts with autosave, signing, read-only signed notes, addenda."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from clients.forms import (
    AddendumForm,
    SessionNoteForm,
    carry_sections_over,
)
from clients.models import Client, NoteFormat, SessionNote, SignedNoteError
from clients.selectors import Need, get_client_for_user
from clients.selectors.access import note_of_client
from clients.selectors.notes import themes_available_to
from clients.services import (
    NoteConflictError,
    addendum_create,
    session_note_save,
)
from clients.views.common import form_errors_from
from groups.features import feature_labels
from recovery.models import AuditAction
from recovery.services import audit

# --- Session notes ------------------------------------------------------------------------


def _note_form(client: Client, data=None, note: SessionNote | None = None, **kwargs):
    initial = (
        SessionNoteForm.initial_from(note)
        if note
        else {
            "session_date": timezone.localdate(),
            "format": NoteFormat.DAP,
            "stage_of_change": client.stage_of_change,
            "duration_minutes": 50,
        }
    )
    return SessionNoteForm(data, initial=initial, themes=themes_available_to(client), **kwargs)


def _suggestions_for(form: SessionNoteForm) -> list[dict]:
    """The therapist-facing guidance for each theme tagged on the form, strongest first."""
    tagged = []
    for theme in form.themes:
        raw = form[f"theme_{theme.pk}"].value()
        if raw in ("1", "2", "3", 1, 2, 3):
            tagged.append((int(raw), theme))
    tagged.sort(key=lambda pair: (-pair[0], pair[1].position))
    return [
        {"theme": theme, "intensity": intensity, "features": feature_labels(theme.meeting_features)}
        for intensity, theme in tagged
    ]


def _render_note_form(request, client, form, note=None, conflict=None, status=200):
    context = {
        "client": client,
        "form": form,
        "note": note,
        "conflict": conflict,
        "suggestions": _suggestions_for(form),
        "autosave_seconds": settings.NOTE_AUTOSAVE_SECONDS,
    }
    return render(request, "clients/note_form.html", context, status=status)


def _save(request, client, form, note: SessionNote | None, *, sign: bool = False) -> SessionNote:
    return session_note_save(
        actor=request.user,
        client=client,
        note=note,
        expected_version=form.cleaned_data.get("version"),
        sign=sign,
        request=request,
        sections=form.sections,
        themes=form.tagged_themes,
        **form.note_fields(),
    )


@require_http_methods(["GET", "POST"])
@login_required
def note_new(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_client_for_user(request.user, pk, need=Need.CLINICIAN)
    if request.method == "GET":
        return _render_note_form(request, client, _note_form(client))
    # An autosave may already have created the draft: then this is an update of it.
    note = note_of_client(client, request.POST["note_id"]) if request.POST.get("note_id") else None
    if note is not None and note.is_signed:
        messages.info(request, "This note is already signed.")
        return redirect("clients:note", pk=client.pk, note_pk=note.pk)
    return _handle_note_post(request, client, note)


@require_http_methods(["GET", "POST"])
@login_required
def note_detail(request: HttpRequest, pk: int, note_pk: int) -> HttpResponse:
    client = get_client_for_user(request.user, pk, need=Need.CLINICIAN)
    note = note_of_client(client, note_pk)
    if request.method == "POST":
        if note.is_signed:
            messages.error(request, "A signed note cannot be changed. Add an addendum instead.")
            return redirect("clients:note", pk=client.pk, note_pk=note.pk)
        return _handle_note_post(request, client, note)
    audit(action=AuditAction.VIEW, actor=request.user, client=client, obj=note, request=request)
    if note.is_signed:
        return render(
            request,
            "clients/note_detail.html",
            {
                "client": client,
                "note": note,
                "addendum_form": AddendumForm(),
                "themes": note.note_themes.select_related("theme"),
            },
        )
    return _render_note_form(request, client, _note_form(client, note=note), note=note)


def _handle_note_post(request, client, note):
    form = _note_form(client, request.POST, note=note)
    if not form.is_valid():
        return _render_note_form(request, client, form, note=note, status=400)
    signing = request.POST.get("action") == "sign"
    try:
        saved = _save(request, client, form, note, sign=signing)
        if signing:
            messages.success(request, "Note signed. It can no longer be changed.")
            return redirect("clients:detail", pk=client.pk)
    except NoteConflictError:
        current = note_of_client(client, note.pk)
        # Keep what this person typed; show what the other save holds; take its version so
        # that saving again is a deliberate choice, never a silent overwrite.
        data = request.POST.copy()
        data["version"] = current.version
        form = _note_form(client, data, note=current)
        form.is_valid()
        return _render_note_form(request, client, form, note=current, conflict=current, status=409)
    except SignedNoteError:
        messages.error(request, "This note was signed meanwhile; add an addendum instead.")
        return redirect("clients:note", pk=client.pk, note_pk=note.pk)
    except ValidationError as error:
        form_errors_from(form, error)
        return _render_note_form(request, client, form, note=note, status=400)
    messages.success(request, "Draft saved.")
    return redirect("clients:note", pk=client.pk, note_pk=saved.pk)


@require_POST
@login_required
def note_autosave(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: save the draft quietly every half minute; answers with a status line."""
    client = get_client_for_user(request.user, pk, need=Need.CLINICIAN)
    note = note_of_client(client, request.POST["note_id"]) if request.POST.get("note_id") else None
    form = _note_form(client, request.POST, note=note)
    context = {"note": note, "saved": False}
    if note is not None and note.is_signed:
        context["problem"] = "This note is signed; nothing was saved."
    elif not form.is_valid():
        context["problem"] = "Not saved yet: check the highlighted fields, then save."
    else:
        try:
            context["note"] = _save(request, client, form, note)
            context["saved"] = True
        except NoteConflictError:
            context["problem"] = (
                "Not saved: this draft was changed elsewhere. Save to compare the two versions."
            )
        except ValidationError:
            context["problem"] = "Not saved yet: check the highlighted fields, then save."
    context["saved_at"] = timezone.localtime()
    return render(request, "clients/partials/autosave_status.html", context)


@require_POST
@login_required
def note_sections(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: the section boxes of the chosen format, carrying over what was typed."""
    get_client_for_user(
        request.user, pk, need=Need.CLINICIAN
    )  # scope check: only the client's therapist writes notes
    new_format = request.POST.get("format")
    if new_format not in NoteFormat.values:
        new_format = NoteFormat.DAP
    data = {
        f"section_{key}": text
        for key, text in carry_sections_over(request.POST, new_format).items()
    }
    form = SessionNoteForm(initial=data, themes=[], note_format=new_format)
    return render(request, "clients/partials/note_sections.html", {"form": form})


@require_POST
@login_required
def note_suggestions(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: questions, reframes and meeting features for the themes tagged so far."""
    client = get_client_for_user(request.user, pk, need=Need.CLINICIAN)
    form = _note_form(client, request.POST)
    return render(
        request,
        "clients/partials/theme_suggestions.html",
        {"suggestions": _suggestions_for(form)},
    )


@require_POST
@login_required
def note_addendum(request: HttpRequest, pk: int, note_pk: int) -> HttpResponse:
    client = get_client_for_user(request.user, pk, need=Need.CLINICIAN)
    note = note_of_client(client, note_pk)
    form = AddendumForm(request.POST)
    if form.is_valid():
        try:
            addendum_create(
                actor=request.user, note=note, request=request, text=form.cleaned_data["text"]
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, "Addendum added.")
            return redirect("clients:note", pk=client.pk, note_pk=note.pk)
    # The note is shown again with the form's error: a read of the record like its own page.
    audit(action=AuditAction.VIEW, actor=request.user, client=client, obj=note, request=request)
    return render(
        request,
        "clients/note_detail.html",
        {
            "client": client,
            "note": note,
            "addendum_form": form,
            "themes": note.note_themes.select_related("theme"),
        },
        status=400,
    )
