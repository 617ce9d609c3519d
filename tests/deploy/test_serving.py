"""gunicorn and WhiteNoise as production runs them, on SQLite, so they are proven on a laptop too.

One real gunicorn (gunicorn.conf.py, DJANGO_DEBUG=0) on a loopback port, after collectstatic:
pages name hashed static files, those are cached for a year and served compressed, and
neither gunicorn's access log nor Django's own log ever holds a signed link's token or a
query string. The full stack behind nginx, on PostgreSQL and Redis, is test_production_stack.
"""

from __future__ import annotations

import gzip
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tests.stack import free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.skipif(
    not (BIN / "gunicorn").exists(), reason="needs gunicorn (requirements.txt)"
)


def production_env(tmp_path: Path, port: int) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "CI"}
        and not k.startswith(("DJANGO_", "SECURE_", "GUNICORN_"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "recovery.settings",
            "DJANGO_DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SITE_URL": "https://rb.example.org",
            "VAR_DIR": str(tmp_path / "var"),
            "STATIC_ROOT": str(tmp_path / "static"),
            # Plain http on loopback: the https redirect is nginx's and the stack test's.
            "SECURE_SSL_REDIRECT": "0",
            "EMAIL_HOST": "127.0.0.1",
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": "2",
        }
    )
    return env


def get(url: str, headers: dict | None = None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("serving")
    port = free_port()
    env = production_env(tmp_path, port)
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        result = subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "recovery.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            get(f"{base}/sign-in/")
            break
        except OSError:
            if process.poll() is not None:
                pytest.fail("gunicorn exited:\n" + log.read_text())
            time.sleep(0.25)
    else:
        pytest.fail("gunicorn did not answer:\n" + log.read_text())
    yield base, log
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def test_pages_name_hashed_static_files_that_are_cached_for_a_year_and_compressed(server):
    base, _log = server
    status, _headers, body = get(f"{base}/sign-in/")
    assert status == 200
    page = body.decode()
    urls = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
    names = {Path(url).name for url in urls}
    # Bootstrap's stylesheet and script, and the app's own CSS, all under hashed names.
    assert any(re.fullmatch(r"bootstrap\.min\.[0-9a-f]{12}\.css", n) for n in names), names
    assert any(re.fullmatch(r"bootstrap\.bundle\.min\.[0-9a-f]{12}\.js", n) for n in names)
    assert any(re.fullmatch(r"app\.[0-9a-f]{12}\.css", n) for n in names), names
    for url in urls:
        status, headers, plain = get(f"{base}{url}")
        assert status == 200, url
        assert headers["Cache-Control"] == "max-age=31536000, public, immutable"
        status, headers, packed = get(f"{base}{url}", {"Accept-Encoding": "gzip"})
        assert headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(packed) == plain


def test_favicon_ico_sends_browsers_to_the_hashed_icon(server):
    base, _log = server
    request = urllib.request.Request(f"{base}/favicon.ico")
    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(request, timeout=10)
        pytest.fail("/favicon.ico did not redirect")
    except urllib.error.HTTPError as error:
        assert error.code == 302
        location = error.headers["Location"]
    assert re.fullmatch(r"/static/img/favicon\.[0-9a-f]{12}\.svg", location), location
    status, headers, _body = get(f"{base}{location}")
    assert status == 200
    assert headers["Content-Type"].startswith("image/svg+xml")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_an_unhashed_or_missing_static_name_is_a_404_not_the_app(server):
    base, _log = server
    assert get(f"{base}/static/css/nothing-here.css")[0] == 404


def test_no_token_or_query_string_reaches_a_log(server):
    base, log = server
    token = "Zk9" + secrets.token_urlsafe(24)
    secret_query = "q" + secrets.token_hex(8)
    for path in (f"/r/a/{token}/", f"/welcome/{token}/", f"/r/u/{token}/?x={secret_query}"):
        get(f"{base}{path}")
    get(f"{base}/sign-in/?next={secret_query}")
    deadline = time.monotonic() + 10
    # gunicorn writes its access line after the response: wait for the last one.
    while time.monotonic() < deadline and "/sign-in/" not in log.read_text():
        time.sleep(0.1)
    text = log.read_text()
    assert '"GET /r/a/…/"' in text
    assert '"GET /welcome/…/"' in text
    assert token not in text
    assert secret_query not in text


def test_a_malformed_gunicorn_setting_stops_the_start_and_names_it(tmp_path):
    env = production_env(tmp_path, free_port())
    env["WEB_CONCURRENCY"] = "lots"
    result = subprocess.run(
        [str(BIN / "gunicorn"), "--check-config", "recovery.wsgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "WEB_CONCURRENCY" in result.stdout + result.stderr


def test_a_missing_secret_stops_gunicorn_before_it_serves(tmp_path):
    port = free_port()
    env = production_env(tmp_path, port)
    del env["SECRET_KEY"]
    result = subprocess.run(
        [str(BIN / "gunicorn"), "recovery.wsgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    # preload_app: the master loads the app first and exits with the reason, no workers.
    assert result.returncode != 0
    assert "Set the SECRET_KEY environment variable." in result.stdout + result.stderr
