"""gunicorn's settings for Recovery Bridge, read from the environment (deploy/recovery.env).

    gunicorn recovery.wsgi        # picks this file up from the working directory

Every value has a default fit for one small practice's server behind nginx on the same host.
"""

import multiprocessing
import os

from gunicorn.glogging import Logger


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {raw!r}.") from None


# Only nginx on this machine talks to gunicorn; it is never exposed on the network itself.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers: each serves one request at a time. Two per core and one more is gunicorn's
# advice; WEB_CONCURRENCY is the name hosting platforms use for it.
workers = _int("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1)
# A request still running after this long is killed and its worker replaced (the slowest
# page, a dashboard CSV export, takes a few seconds at practice scale).
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# nginx keeps connections to us open between requests for this long.
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# A worker is replaced after this many requests (with jitter, so not all at once): a slow leak
# in any library can never grow without bound.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)
# Load the app once before forking: a broken setting stops the service at start with its
# message, instead of every worker failing in turn.
preload_app = True

# Logs go to stderr (the access log to stdout); systemd hands both to the journal.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# The client's address as nginx saw it, the path without its query string and with any
# signed token cut out (recovery.logs), status, size, time in ms, and the user agent. No
# referer: it may be one of our own pages' addresses, query strings included.
access_log_format = '%({x-forwarded-for}i)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms "%(a)s"'
# X-Forwarded-Proto is believed only from nginx on this host (gunicorn's default).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")


class TokenFreeLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        from recovery.logs import redact_path

        atoms = super().atoms(resp, req, environ, request_time)
        atoms["U"] = redact_path(atoms.get("U") or "")
        atoms["q"] = ""
        atoms["r"] = f"{atoms['m']} {atoms['U']} {atoms['H']}"
        return atoms


logger_class = TokenFreeLogger
