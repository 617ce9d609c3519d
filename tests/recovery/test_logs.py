"""No log line carries a signed link's token: Django's, django-axes', gunicorn's."""

import logging

from recovery.logs import RedactTokens, redact_path

TOKEN = "Zk9-abc_DEF.123:xyz"


def formatted(msg, *args) -> str:
    record = logging.LogRecord("test", logging.INFO, __file__, 1, msg, args, None)
    RedactTokens().filter(record)
    return record.getMessage()


def test_a_token_path_loses_its_token_and_query_string():
    assert redact_path(f"/r/a/{TOKEN}/?choice=went") == "/r/a/…/"
    assert redact_path(f"/welcome/{TOKEN}/") == "/welcome/…/"
    assert redact_path("/clients/12/notes/3/") == "/clients/12/notes/3/"


def test_djangos_not_found_line_is_redacted():
    assert formatted("Not Found: %s", f"/r/u/{TOKEN}/") == "Not Found: /r/u/…/"


def test_a_token_inside_another_libraries_message_is_redacted():
    # django-axes puts the request's path in the middle of its own text.
    line = formatted("AXES: Deleted %d attempts by %s", 0, f'{{path_info: "/welcome/{TOKEN}/"}}')
    assert TOKEN not in line and '"/welcome/…/"' in line
    assert TOKEN not in formatted(f"already formatted /r/j/{TOKEN}/ line")
