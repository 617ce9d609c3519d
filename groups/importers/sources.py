"""Reading a feed's source: a file path, or an http(s) URL fetched with a timeout and a size cap."""

import ipaddress
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

# A 10,000-meeting Meeting Guide feed is about 6 MB; four times that is still a feed, anything
# bigger is a mistake (or a hostile server) and would only fill memory.
MAX_SOURCE_BYTES = 25 * 1024 * 1024
# Intergroup sites are often slow shared hosting, but an import should not hang a worker.
FETCH_TIMEOUT_SECONDS = 30
USER_AGENT = "RecoveryBridge-feed-import/1.0"
READ_CHUNK_BYTES = 64 * 1024


class FeedImportError(Exception):
    """An import that cannot start or cannot go on; nothing has been written."""


class SourceError(FeedImportError):
    """The source as a whole cannot be imported (unreadable, not JSON, not a list, ...)."""


def is_url(source: str) -> bool:
    return urlsplit(source).scheme.lower() in {"http", "https"}


def source_read(
    source: str,
    *,
    max_bytes: int = MAX_SOURCE_BYTES,
    timeout: float = FETCH_TIMEOUT_SECONDS,
) -> bytes:
    """The bytes of a file path or an http(s) URL; SourceError with a plain reason otherwise."""
    source = source.strip()
    if not source:
        raise SourceError("No source given: a file path or an http(s) URL.")
    if is_url(source):
        return _fetch(source, max_bytes=max_bytes, timeout=timeout)
    if "://" in source:
        # file://, ftp:// and friends: a feed is a local file or a web address, nothing else.
        raise SourceError(f"{source}: only http(s) URLs and file paths can be imported.")
    path = Path(source).expanduser()
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise SourceError(
                f"{source}: {_size(size)} is more than the limit ({_size(max_bytes)})."
            )
        return path.read_bytes()
    except FileNotFoundError:
        raise SourceError(f"{source}: no such file.") from None
    except IsADirectoryError:
        raise SourceError(f"{source}: is a directory, not a file.") from None
    except OSError as error:
        raise SourceError(f"{source}: cannot be read ({error.strerror or error}).") from None


@dataclass(frozen=True)
class Fetched:
    """What a fetch brought: the body, or None when the server said nothing changed (304)."""

    body: bytes | None
    etag: str = ""
    last_modified: str = ""


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to another http(s) address that passes the same checks."""

    def __init__(self, allow_private: bool):
        self.allow_private = allow_private

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if not is_url(newurl):
            raise SourceError(f"{req.full_url}: redirected to {newurl[:120]}, not a web address.")
        _check_host(newurl, allow_private=self.allow_private)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _port(url: str) -> int | None:
    """The address's port; SourceError for one no server can have (over 65535, or text)."""
    try:
        return urlsplit(url).port
    except ValueError:
        raise SourceError(f"{url}: the port in this address is not a valid one.") from None


def _seconds(count: float) -> str:
    return "1 second" if count == 1 else f"{count:g} seconds"


def _check_host(url: str, *, allow_private: bool) -> None:
    """Refuse an address inside the server's own network (loopback, private, link-local):
    a feed a practice admin types must not make the server read its own services.

    Checked before connecting, and again on each redirect.
    """
    if allow_private:
        return
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        infos = socket.getaddrinfo(host, _port(url) or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise SourceError(f"{url}: the server {host!r} cannot be found.") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global:
            raise SourceError(
                f"{url}: {host} is an address inside this server's network; "
                "only public web addresses can be imported."
            )


def source_fetch(
    url: str,
    *,
    etag: str = "",
    last_modified: str = "",
    max_bytes: int = MAX_SOURCE_BYTES,
    timeout: float = FETCH_TIMEOUT_SECONDS,
    allow_private: bool = True,
) -> Fetched:
    """GET `url` within `timeout` seconds in all and `max_bytes`, conditionally when the last
    answer's ETag or Last-Modified is given. SourceError with a plain reason otherwise."""
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json, text/csv, */*"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    _port(url)
    _check_host(url, allow_private=allow_private)
    opener = urllib.request.build_opener(_CheckedRedirects(allow_private))
    deadline = time.monotonic() + timeout
    try:
        with opener.open(urllib.request.Request(url, headers=headers), timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise SourceError(
                    f"{url}: {_size(int(length))} is more than the limit ({_size(max_bytes)})."
                )
            chunks, size = [], 0
            # Read one byte past the cap: a server may send more than it announced. read1
            # returns what has arrived, so a server that trickles bytes is cut off at the
            # deadline, not only after a silent pause or a full chunk.
            while size <= max_bytes:
                if time.monotonic() > deadline:
                    raise TimeoutError
                chunk = response.read1(min(READ_CHUNK_BYTES, max_bytes + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            content_type = response.headers.get("Content-Type", "")
            fetched = Fetched(
                b"".join(chunks),
                etag=response.headers.get("ETag", "")[:255],
                last_modified=response.headers.get("Last-Modified", "")[:64],
            )
    except urllib.error.HTTPError as error:
        if error.code == 304:
            return Fetched(None, etag=etag, last_modified=last_modified)
        raise SourceError(f"{url}: the server answered {error.code} {error.reason}.") from None
    except urllib.error.URLError as error:
        if isinstance(error.reason, SourceError):
            raise error.reason from None
        if isinstance(error.reason, TimeoutError | socket.timeout):
            raise SourceError(f"{url}: no answer within {_seconds(timeout)}.") from None
        raise SourceError(f"{url}: cannot be fetched ({error.reason}).") from None
    except TimeoutError:
        raise SourceError(f"{url}: no complete answer within {_seconds(timeout)}.") from None
    except SourceError:
        raise
    except OSError as error:
        raise SourceError(f"{url}: cannot be fetched ({error}).") from None
    if len(fetched.body) > max_bytes:
        raise SourceError(f"{url}: the response is more than the limit ({_size(max_bytes)}).")
    refuse_web_page(fetched.body, content_type=content_type, what=url)
    return fetched


def refuse_web_page(body: bytes, *, content_type: str = "", what: str) -> None:
    """A feed address that answers a web page is the intergroup's site, not its feed: say so,
    rather than "not JSON (line 1, column 1)"."""
    start = body[:512].lstrip().lower()
    if "text/html" in content_type.lower() or start.startswith((b"<!doctype html", b"<html")):
        raise SourceError(
            f"{what}: this is a web page (HTML), not a meeting feed. Use the feed's own "
            "address: for a 12 Step Meeting List site it ends in "
            "/wp-admin/admin-ajax.php?action=meetings."
        )


def _size(count: int) -> str:
    return f"{count / 1024 / 1024:.0f} MB" if count >= 1024 * 1024 else f"{count:,} bytes"


def _fetch(url: str, *, max_bytes: int, timeout: float) -> bytes:
    body = source_fetch(url, max_bytes=max_bytes, timeout=timeout).body
    assert body is not None  # no validators sent, so never a 304
    return body
