"""Where browsers report what the Content Security Policy blocked (its `report-uri`).

A violation in production is either a bug of ours (a page that lost its nonce, a new inline
style) or someone trying to inject script; either way it belongs in the log. What is logged
is chosen so that no report can carry client data or a reminder link's token into the log:
the page is named by its URL pattern, never its path or query, and the blocked resource by its
origin alone (or the keyword the browser gives, such as "inline" or "eval"). Script samples
are dropped. Identical reports are logged once a minute, and at most a hundred of any kind,
so a flood cannot fill the log.
"""

import hashlib
import json
import logging
import re
import time
from urllib.parse import urlsplit

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from recovery.middleware import not_activity

logger = logging.getLogger("recovery.csp")

# A real report is well under 2 KB; a browser may batch a few under the Reporting API.
MAX_REPORT_BYTES = 16 * 1024
REPORT_TYPES = {"application/csp-report", "application/reports+json", "application/json"}
# The same violation from the same page is logged once per this many seconds, and at most
# LOGGED_PER_MINUTE reports of any kind a minute (per process): anyone can post here.
REPEAT_SECONDS = 60
LOGGED_PER_MINUTE = 100
# What may reach the log from a report, which anyone can send: nothing else gets through, so
# no line break or terminal escape can forge a log line.
HOST = re.compile(r"[a-z0-9.-]{1,253}")
SCHEME = re.compile(r"[a-z][a-z0-9+.-]{0,30}")
DIRECTIVE = re.compile(r"[a-z-]{1,40}")
KEYWORDS = {"inline", "eval", "wasm-eval", "self", "trusted-types-policy", "trusted-types-sink"}


def _page(document_uri: str) -> str:
    """The URL pattern a page was served by, or "another page" (never the path itself)."""
    if not isinstance(document_uri, str):
        return "another page"
    try:
        match = resolve(urlsplit(document_uri).path or "/")
    except (Resolver404, ValueError):
        return "another page"
    return match.view_name or "another page"


def _blocked(blocked_uri: str) -> str:
    """The origin of what was blocked, or the browser's keyword for it ("inline", "eval")."""
    if not isinstance(blocked_uri, str) or not blocked_uri:
        return "unknown"
    try:
        parts = urlsplit(blocked_uri)
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "unknown"
    scheme = parts.scheme.lower()
    if scheme in ("http", "https", "ws", "wss") and HOST.fullmatch(parts.hostname or ""):
        return f"{scheme}://{parts.hostname}{port}"
    if SCHEME.fullmatch(scheme):  # data:, blob:, chrome-extension: ...: the scheme says enough
        return f"{scheme}:"
    return blocked_uri if blocked_uri in KEYWORDS else "unknown"


def _violations(payload) -> list[dict]:
    """The reports in either format: `report-uri`'s {"csp-report": {...}} or a Reporting API
    list of {"type": "csp-violation", "body": {...}} (camelCase keys)."""
    if isinstance(payload, dict) and isinstance(payload.get("csp-report"), dict):
        report = payload["csp-report"]
        return [
            {
                "directive": report.get("effective-directive") or report.get("violated-directive"),
                "blocked": report.get("blocked-uri"),
                "document": report.get("document-uri"),
                "disposition": report.get("disposition", "enforce"),
            }
        ]
    if isinstance(payload, list):
        return [
            {
                "directive": item["body"].get("effectiveDirective"),
                "blocked": item["body"].get("blockedURL"),
                "document": item["body"].get("documentURL"),
                "disposition": item["body"].get("disposition", "enforce"),
            }
            for item in payload[:10]
            if isinstance(item, dict)
            and item.get("type") == "csp-violation"
            and isinstance(item.get("body"), dict)
        ]
    return []


@csrf_exempt  # browsers send reports without a token; a report changes nothing but the log
@not_activity  # the browser sends it by itself: it keeps no idle session alive
@require_POST
def csp_report(request: HttpRequest) -> HttpResponse:
    content_type = request.content_type or ""
    if content_type not in REPORT_TYPES:
        return HttpResponse("Not a CSP report.", status=415, content_type="text/plain")
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_REPORT_BYTES:
        return HttpResponse("Report too large.", status=413, content_type="text/plain")
    body = request.read(MAX_REPORT_BYTES + 1)
    if len(body) > MAX_REPORT_BYTES:
        return HttpResponse("Report too large.", status=413, content_type="text/plain")
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: deep nesting
        return HttpResponse("Not a CSP report.", status=400, content_type="text/plain")
    violations = _violations(payload)
    if not violations:
        return HttpResponse("Not a CSP report.", status=400, content_type="text/plain")
    for violation in violations:
        directive = violation["directive"]
        fields = {
            "directive": directive
            if isinstance(directive, str) and DIRECTIVE.fullmatch(directive)
            else "unknown",
            "blocked": _blocked(violation["blocked"]),
            "page": _page(violation["document"]),
            "disposition": "report only" if violation["disposition"] == "report" else "enforced",
        }
        key = "csp-report:" + hashlib.sha256(json.dumps(fields).encode()).hexdigest()
        if not cache.add(key, 1, REPEAT_SECONDS):
            continue
        minute = f"csp-report:minute:{int(time.time() // 60)}"
        cache.add(minute, 0, 120)
        if cache.incr(minute) <= LOGGED_PER_MINUTE:
            logger.warning(
                "Content Security Policy violation: %(directive)s blocked %(blocked)s "
                "on %(page)s (%(disposition)s)",
                fields,
            )
    return HttpResponse(status=204)
