"""What reaches a log never carries a signed link's token.

Tokens ride in URL paths (a reminder's "I went" link, `/r/a/<token>/`; a staff invitation,
`/welcome/<token>/`) and anyone holding one can act on it until it expires. Django logs the
path of every 4xx and 5xx, and gunicorn of every request: both pass through `redact_path`.
Query strings are never logged at all.
"""

import logging
import re

# The URL prefixes whose next path segment is a bearer token.
_TOKEN_PATH = re.compile(r"^(/r/[a-z]/|/welcome/)[^/?#\s]+")


def redact_path(path: str) -> str:
    return _TOKEN_PATH.sub(r"\1…", path.split("?", 1)[0])


class RedactTokens(logging.Filter):
    """Rewrites any string argument of a log record that is a token-bearing path."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_path(arg) if isinstance(arg, str) and arg.startswith("/") else arg
                for arg in record.args
            )
        return True
