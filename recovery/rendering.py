"""Rendering a page or, when htmx asks for it, only the fragment it swaps in."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def render_page_or_fragment(
    request: HttpRequest, context: dict, *, page: str, fragment: str
) -> HttpResponse:
    """The whole page, or only `fragment` when htmx asks (as a search's filters change)."""
    return render(request, fragment if request.headers.get("HX-Request") else page, context)
