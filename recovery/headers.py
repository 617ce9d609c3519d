"""Response headers that keep client data out of caches."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

# The pages a client reaches from a reminder email (clients/client_reply_urls.py, mounted at /r/).
CLIENT_RESPONSE_NAMESPACE = "responses"


def shows_client_data(request: HttpRequest) -> bool:
    """Whether a response to this request may hold client data and must not be stored.

    Every page a signed-in person sees may (caseload, notes, the dashboard's names), and so
    does every page of a reminder link. Static files never do.
    """
    if settings.STATIC_URL and request.path.startswith(settings.STATIC_URL):
        return False
    match = getattr(request, "resolver_match", None)
    if match is not None and CLIENT_RESPONSE_NAMESPACE in match.namespaces:
        return True
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated


class NoStoreMiddleware:
    """`Cache-Control: no-store` (Django's never-cache set) on every page with client data.

    A shared computer's browser cache, a proxy or the back button after sign-out must not
    keep a copy of a clinical record.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if shows_client_data(request):
            add_never_cache_headers(response)
        return response
