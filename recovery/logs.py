"""What reaches a log never carries a signed link's token.

Tokens ride in URL paths (a reminder's "I went" link, `/r/a/<token>/`; a staff invitation,
`/welcome/<token>/`) and anyone holding one can act on it until it expires. Django logs the
path of every 4xx and 5xx, and gunicorn of every request: both pass through `redact_path`.
Query strings are never logged at all.
"""

import logging
import re

# The URL prefixes whose next path segment is a bearer token, wherever they appear in a line
# (django-axes, for one, writes the request's path into the middle of its messages).
_TOKEN_PATH = re.compile(r"(/r/[a-z]/|/welcome/)[^/?#\s\"'<>,;)}]+")


def redact_tokens(text: str) -> str:
    return _TOKEN_PATH.sub(r"\1…", text)


def redact_path(path: str) -> str:
    """A request path fit for a log: no query string, no token."""
    return redact_tokens(path.split("?", 1)[0])


class RedactTokens(logging.Filter):
    """Cuts tokens out of a record's message and of each of its string arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_tokens(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_tokens(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        elif isinstance(record.args, dict):
            record.args = {
                key: redact_tokens(value) if isinstance(value, str) else value
                for key, value in record.args.items()
            }
        return True
