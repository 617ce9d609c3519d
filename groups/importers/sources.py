"""Reading a feed's source: a file path, or an http(s) URL fetched with a timeout and a size cap."""

import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

# A 10,000-meeting Meeting Guide feed is about 6 MB; four times that is still a feed, anything
# bigger is a mistake (or a hostile server) and would only fill memory.
MAX_SOURCE_BYTES = 25 * 1024 * 1024
# Intergroup sites are often slow shared hosting, but an import should not hang a worker.
FETCH_TIMEOUT_SECONDS = 30
USER_AGENT = "RecoveryBridge-feed-import/1.0"


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
            raise SourceError(f"{source}: {size} bytes is more than the {max_bytes}-byte limit.")
        return path.read_bytes()
    except FileNotFoundError:
        raise SourceError(f"{source}: no such file.") from None
    except IsADirectoryError:
        raise SourceError(f"{source}: is a directory, not a file.") from None
    except OSError as error:
        raise SourceError(f"{source}: cannot be read ({error.strerror or error}).") from None


def _fetch(url: str, *, max_bytes: int, timeout: float) -> bytes:
    request = urllib.request.Request(
        url, headers={"User-Agent": USER_AGENT, "Accept": "application/json, text/csv, */*"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise SourceError(f"{url}: {length} bytes is more than the {max_bytes}-byte limit.")
            # Read one byte past the cap: a server may send more than it announced, or nothing.
            body = response.read(max_bytes + 1)
    except urllib.error.HTTPError as error:
        raise SourceError(f"{url}: the server answered {error.code} {error.reason}.") from None
    except urllib.error.URLError as error:
        raise SourceError(f"{url}: cannot be fetched ({error.reason}).") from None
    except TimeoutError:
        raise SourceError(f"{url}: no answer within {timeout:g} seconds.") from None
    except OSError as error:
        raise SourceError(f"{url}: cannot be fetched ({error}).") from None
    if len(body) > max_bytes:
        raise SourceError(f"{url}: the response is more than the {max_bytes}-byte limit.")
    return body
