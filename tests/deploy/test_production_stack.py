"""The whole production stack, as deploy/ and the README's "Deploying" set it up, on real parts.

collectstatic, then gunicorn (gunicorn.conf.py, two workers), two Celery workers and beat as
separate processes, with DJANGO_DEBUG=0 and REQUIRE_2FA=1, behind Debian's nginx running
deploy/nginx/recovery-bridge.conf with a self-signed certificate on loopback ports. Mail goes
to an aiosmtpd sink. Chromium, accepting that certificate, follows an invitation from that
sink, sets a password, enrols two-factor, adds a client, writes and signs a note, on styled
pages with no console errors. Then the reminder of a planned meeting arrives exactly once with
both workers racing for it, and /healthz follows the workers down and up again.

Needs PostgreSQL (DATABASE_URL), Redis (REDIS_URL), nginx and Chromium; CI has them all.
The test makes its own database and queue, and stops every process it started.
"""

from __future__ import annotations

import base64
import datetime
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.smtp import SinkHandler
from tests.stack import (
    BIN,
    ROOT,
    Stack,
    deployment_env,
    free_port,
    own_database_and_queue,
    wait_for,
)

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SITE_CONFIG = ROOT / "deploy" / "nginx" / "recovery-bridge.conf"

pytestmark = pytest.mark.e2e


def _why_not() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return "the production stack test needs PostgreSQL: set DATABASE_URL"
    if not os.environ.get("REDIS_URL"):
        return "the production stack test needs Redis: set REDIS_URL"
    if not Path(NGINX).exists():
        return "the production stack test needs nginx (Debian: apt-get install nginx-light)"
    if not CHROMIUM.exists():
        return f"the production stack test needs Chromium at {CHROMIUM}"
    if not (BIN / "gunicorn").exists():
        return "the production stack test needs gunicorn (requirements.txt)"
    return None


if reason := _why_not():
    pytestmark = [pytestmark, pytest.mark.skip(reason=reason)]


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def nginx_config(folder: Path, *, http: int, https: int, upstream: int) -> Path:
    """deploy/nginx/recovery-bridge.conf as shipped, moved onto loopback ports and temp files.

    Only addresses and paths change: the redirect, the headers passed on, the limits and the
    log format are the ones a practice installs.
    """
    cert, key = self_signed_certificate(folder)
    site = SITE_CONFIG.read_text()
    replacements = {
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{upstream};",
        "listen 80 default_server;": f"listen 127.0.0.1:{http} default_server;",
        "listen 443 ssl http2 default_server;": (
            f"listen 127.0.0.1:{https} ssl http2 default_server;"
        ),
        "/etc/letsencrypt/live/recovery.example.org/fullchain.pem": str(cert),
        "/etc/letsencrypt/live/recovery.example.org/privkey.pem": str(key),
        "/var/log/nginx/recovery-bridge.access.log": str(folder / "access.log"),
        "server_name recovery.example.org;": "server_name localhost;",
    }
    for old, new in replacements.items():
        assert old in site, f"deploy/nginx/recovery-bridge.conf no longer has {old!r}"
        site = site.replace(old, new)
    # No IPv6 listeners: the loopback ports above are the whole test.
    site = re.sub(r"^\s*listen \[::\].*$", "", site, flags=re.MULTILINE)
    temp = {name: folder / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir()
    config = folder / "nginx.conf"
    config.write_text(
        "\n".join(
            [
                # As root (CI), nginx's workers would otherwise drop to "nobody", who cannot
                # read this test's temporary folder.
                "user root;" if os.geteuid() == 0 else "",
                f"pid {folder / 'nginx.pid'};",
                f"error_log {folder / 'error.log'} warn;",
                "worker_processes 1;",
                "events { worker_connections 256; }",
                "http {",
                "  include /etc/nginx/mime.types;",
                f"  client_body_temp_path {temp['body']};",
                f"  proxy_temp_path {temp['proxy']};",
                f"  fastcgi_temp_path {temp['fastcgi']};",
                f"  uwsgi_temp_path {temp['uwsgi']};",
                f"  scgi_temp_path {temp['scgi']};",
                site,
                "}",
            ]
        )
    )
    return config


def https_get(url: str, headers: dict | None = None):
    """One request through nginx, certificate unchecked (it is self-signed), no redirects."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context), NoRedirect)
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with opener.open(request, timeout=15) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def health(stack: Stack) -> tuple[int, dict]:
    try:
        status, _headers, body = https_get(f"{stack.site_url}/healthz")
    except OSError:
        return 0, {}
    try:
        return status, json.loads(body)
    except ValueError:
        return status, {}


@pytest.fixture(scope="module")
def smtp_sink():
    from aiosmtpd.controller import Controller

    handler = SinkHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, handler
    controller.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory, smtp_sink):
    with own_database_and_queue("rb_deploy") as (name, queue):
        controller, _handler = smtp_sink
        folder = tmp_path_factory.mktemp("production")
        app_port = free_port()
        stack = Stack(folder=folder, env={}, https=free_port(), http=free_port())
        stack.env = deployment_env(
            folder,
            name,
            SITE_URL=stack.site_url,
            ALLOWED_HOSTS="localhost",
            CELERY_QUEUE=queue,
            TRUSTED_PROXIES="1",
            EMAIL_PORT=str(controller.port),
            DEFAULT_FROM_EMAIL="reminders@localhost",
            # A heartbeat a second, stale after four: the test sees a dead worker in seconds.
            HEARTBEAT_SECONDS="1",
            HEALTH_HEARTBEAT_STALE_SECONDS="4",
            GUNICORN_BIND=f"127.0.0.1:{app_port}",
            WEB_CONCURRENCY="2",
        )
        try:
            # The deploy steps of the README, in order.
            stack.manage("migrate", "--noinput")
            stack.manage("collectstatic", "--noinput")
            stack.manage("check", "--deploy", "--fail-level", "WARNING")
            stack.start("web", str(BIN / "gunicorn"), "recovery.wsgi")
            stack.start_worker("worker1")
            stack.start_worker("worker2")
            stack.start(
                "beat",
                str(BIN / "celery"),
                "-A",
                "recovery",
                "beat",
                "--loglevel=INFO",
                "--schedule",
                str(folder / "celerybeat-schedule"),
            )
            config = nginx_config(folder, http=stack.http, https=stack.https, upstream=app_port)
            subprocess.run([NGINX, "-t", "-c", str(config)], check=True, capture_output=True)
            stack.start("nginx", NGINX, "-c", str(config), "-g", "daemon off;")
            wait_for(
                lambda: health(stack)[0] == 200,
                timeout=90,
                what="/healthz to answer 200 through nginx",
                logs=stack,
            )
            yield stack
        finally:
            stack.stop_all()


ADMIN_PASSWORD = "a long admin passphrase 2026"


def email_text(sink, address: str, stack: Stack, *, what: str) -> str:
    """The plain text of the first email the sink took for `address`, once it arrives."""
    email = wait_for(
        lambda: next((m for m in sink.received if address in m.rcpt_tos), None),
        timeout=60,
        what=what,
        logs=stack,
    )
    return email.message.get_body(preferencelist=("plain",)).get_content()


def chromium(playwright):
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )


def enrol_two_factor(page) -> None:
    """The set-up page REQUIRE_2FA sends a newcomer to: type the key's code, keep the codes."""
    from playwright.sync_api import expect

    secret = page.locator("#totp-secret")
    expect(secret).to_be_visible()
    page.get_by_label("Code from the app").fill(totp_now(secret.inner_text()))
    page.locator("main form [type=submit]").click()
    page.get_by_role("link", name=re.compile("kept my codes")).click()


def totp_now(secret: str) -> str:
    from django_otp.oath import totp

    key = base64.b32decode(secret.replace(" ", "") + "=" * (-len(secret.replace(" ", "")) % 8))
    return f"{totp(key):06d}"


def test_an_invited_therapist_signs_up_and_signs_a_note_on_the_production_stack(stack, smtp_sink):
    from playwright.sync_api import expect, sync_playwright

    _controller, sink = smtp_sink
    # The first practice and its admin, as the README's first-day steps make them; the admin
    # then invites a therapist, and the worker mails the invitation.
    out = stack.manage(
        "create_practice",
        "--name",
        "Bayside Counseling",
        "--time-zone",
        "America/New_York",
        "--admin-email",
        "avery@bayside.example",
        "--admin-name",
        "Avery Admin",
    ).stdout
    admin_link = re.search(r"https://\S+/welcome/\S+/", out).group(0)
    stack.script(
        f"""
from recovery.invitations import invitation_accept, invitation_create, invitation_for_token
admin = invitation_accept(
    invitation=invitation_for_token({admin_link.rstrip("/").rsplit("/", 1)[1]!r}),
    password={ADMIN_PASSWORD!r}, request=None,
)
invitation_create(actor=admin, practice=admin.practice, email="jamie@bayside.example",
                  full_name="Jamie Therapist",
                  role="therapist")
"""
    )
    text = email_text(sink, "jamie@bayside.example", stack, what="the invitation email")
    link = re.search(rf"{re.escape(stack.site_url)}/welcome/\S+/", text).group(0)

    errors: list[str] = []

    def in_the_browser() -> str:
        # A thread of its own: the browser tests' session may already run Playwright's
        # sync API (and its event loop) in this one.
        with sync_playwright() as playwright:
            browser = chromium(playwright)
            context = browser.new_context(ignore_https_errors=True, base_url=stack.site_url)
            context.set_default_timeout(15_000)
            page = context.new_page()
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))
            page.on("pageerror", lambda e: errors.append(str(e)))

            # The invitation: a password, then two-factor set-up, which REQUIRE_2FA insists on.
            page.goto(link)
            passwords = page.locator("input[type=password]")
            passwords.nth(0).fill("correct horse battery staple 26")
            passwords.nth(1).fill("correct horse battery staple 26")
            page.locator("main form [type=submit]").click()
            enrol_two_factor(page)
            expect(page.get_by_role("heading", name="My caseload")).to_be_visible()

            # Styled: Bootstrap's stylesheet and script arrived, hashed, through WhiteNoise.
            expect(page.locator("nav.navbar").first).to_have_css("display", "flex")
            stylesheet = page.eval_on_selector("link[rel=stylesheet]", "e => e.href")
            assert re.search(
                r"/static/vendor/bootstrap-5\.3\.9/css/bootstrap\.min\.[0-9a-f]{12}\.css$",
                stylesheet,
            )

            # A client, a note, signed.
            page.get_by_role("main").get_by_role("link", name="Add client").click()
            page.get_by_label("Preferred name").fill("Robin K.")
            page.get_by_label("Contact email").fill("robin@client.example")
            page.get_by_label("Alcohol").check()
            page.get_by_role("button", name="Add client").click()
            expect(
                page.get_by_role("status").filter(has_text="Robin K. was added.")
            ).to_be_visible()
            page.get_by_role("link", name="Write a session note").click()
            page.get_by_label("Format").select_option(label="DAP")
            notes = page.locator("#note-sections")
            expect(notes.get_by_label("Data", exact=True)).to_be_visible()
            notes.get_by_label("Data", exact=True).fill("Agreed to listen to one online meeting.")
            notes.get_by_label("Assessment", exact=True).fill("Curious, still wary of the label.")
            notes.get_by_label("Plan", exact=True).fill("Camera-off meeting on Thursday evening.")
            page.get_by_role("button", name="Save draft").click()
            expect(page.get_by_role("status").filter(has_text="Draft saved.")).to_be_visible()
            page.get_by_role("button", name="Sign note").click()
            expect(page.get_by_role("status").filter(has_text="Note signed.")).to_be_visible()
            expect(page.locator("#timeline .timeline-item[data-kind=note]")).to_contain_text(
                "Signed"
            )

            # Cookies as production sets them, over TLS.
            cookies = {cookie["name"]: cookie for cookie in context.cookies()}
            for name in ("sessionid", "csrftoken"):
                assert cookies[name]["secure"], name
                assert cookies[name]["httpOnly"], name
            context.close()

            # The admin signs in with the password set above, enrols too, and opens the
            # dashboard: Chart.js draws its charts from the hashed, vendored file.
            context = browser.new_context(ignore_https_errors=True, base_url=stack.site_url)
            context.set_default_timeout(15_000)
            page = context.new_page()
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto("/sign-in/")
            page.get_by_label("Email").fill("avery@bayside.example")
            page.get_by_label("Password").fill(ADMIN_PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            enrol_two_factor(page)
            page.goto("/clients/dashboard/")
            expect(page.locator("#chart-funnel")).to_be_visible()
            assert page.evaluate("typeof window.Chart") == "function"
            context.close()
            browser.close()
        return stylesheet

    with ThreadPoolExecutor(max_workers=1) as pool:
        stylesheet = pool.submit(in_the_browser).result()
    assert errors == [], errors

    # The static file the page used: a year's caching, and gzip when the browser asks.
    status, headers, body = https_get(stylesheet, {"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert "max-age=31536000" in headers["Cache-Control"]
    assert "immutable" in headers["Cache-Control"]

    # http -> https, and HSTS on what https serves.
    conn = socket.create_connection(("127.0.0.1", stack.http), timeout=10)
    conn.sendall(b"GET /sign-in/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    reply = b""
    while chunk := conn.recv(4096):
        reply += chunk
    conn.close()
    head = reply.split(b"\r\n\r\n", 1)[0].decode()
    assert head.startswith("HTTP/1.1 301")
    assert "Location: https://localhost/sign-in/" in head
    _status, headers, _body = https_get(f"{stack.site_url}/sign-in/")
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")

    # No signed token in any log, not even the invitation links just used.
    tokens = [link.rstrip("/").rsplit("/", 1)[1], admin_link.rstrip("/").rsplit("/", 1)[1]]
    logs = "".join(path.read_text(errors="replace") for path in stack.folder.glob("*.log"))
    for token in tokens:
        assert token not in logs


def test_a_planned_meetings_reminder_is_sent_exactly_once_by_two_racing_workers(stack, smtp_sink):
    _controller, sink = smtp_sink
    address = "robin@client.example"
    # The client the therapist added above consents, and plans a meeting starting within
    # the hour; then six dispatches are queued at once for the two workers to race over.
    stack.script(
        """
from django.utils import timezone
from seeding.demo.reminders import demo_reminders_refresh
from clients.models import Client
from clients.services.consent import email_consent_record
from clients.tasks import dispatch_reminders
client = Client.objects.get(preferred_name="Robin K.")
email_consent_record(actor=client.primary_therapist, client=client)
demo_reminders_refresh(practice=client.practice, now=timezone.now())
for _ in range(6):
    dispatch_reminders.delay()
"""
    )
    wait_for(
        lambda: any(address in m.rcpt_tos for m in sink.received),
        timeout=60,
        what="the reminder email",
        logs=stack,
    )

    def dispatches_done() -> bool:
        finished = re.compile(r"Task clients\.tasks\.dispatch_reminders\[[^\]]+\] succeeded")
        logs = (log.read_text(errors="replace") for log in stack.folder.glob("worker*.log"))
        return sum(len(finished.findall(text)) for text in logs) >= 6

    wait_for(dispatches_done, timeout=60, what="all six dispatches to finish", logs=stack)
    reminders = [m for m in sink.received if address in m.rcpt_tos]
    assert len(reminders) == 1
    # The reminder before the meeting went out; the check-in after it waits for its time.
    rows = stack.script(
        """
from clients.models import Reminder
print(sorted(Reminder.objects.values_list("kind", "status", "attempts")))
"""
    )
    assert rows.strip() == "[('before', 'sent', 1), ('checkin', 'queued', 0)]"


def test_the_reminders_link_opens_the_clients_own_page_on_the_production_stack(stack, smtp_sink):
    """The link in the email sent above, in Chromium over TLS through nginx: a styled page,
    its own secure cookie, and a pause that works under Referrer-Policy: no-referrer."""
    from playwright.sync_api import expect, sync_playwright

    _controller, sink = smtp_sink
    text = email_text(sink, "robin@client.example", stack, what="the reminder email")
    link = re.search(rf"{re.escape(stack.site_url)}/r/p/\S+/", text).group(0)
    errors: list[str] = []

    def in_the_browser() -> dict:
        with sync_playwright() as playwright:
            browser = chromium(playwright)
            context = browser.new_context(ignore_https_errors=True)
            context.set_default_timeout(15_000)
            page = context.new_page()
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))
            response = page.goto(link)
            expect(page.get_by_role("heading", name="Hi Robin K.")).to_be_visible()
            seen = {
                "url": page.url,
                "referrer_policy": response.headers.get("referrer-policy"),
                # Bootstrap's stylesheet, served by whitenoise: the body is not browser-white.
                "background": page.evaluate("getComputedStyle(document.body).backgroundColor"),
                "cookie": next(c for c in context.cookies() if c["name"] == "rb_visit"),
            }
            page.get_by_label("Pause reminders for").select_option(label="1 week")
            page.get_by_role("button", name="Pause reminders").click()
            expect(page.get_by_text("Reminders are on pause until")).to_be_visible()
            context.close()
            browser.close()
            return seen

    with ThreadPoolExecutor(max_workers=1) as pool:
        seen = pool.submit(in_the_browser).result()
    assert errors == [], errors
    assert seen["url"] == f"{stack.site_url}/me/"
    assert seen["referrer_policy"] == "no-referrer"
    assert seen["background"] != "rgba(0, 0, 0, 0)"
    assert seen["cookie"]["secure"] and seen["cookie"]["httpOnly"]
    assert seen["cookie"]["path"] == "/me/"
    paused = stack.script(
        """
from clients.models import Client
print(Client.objects.get(preferred_name="Robin K.").reminders_paused_until is not None)
"""
    )
    assert paused.strip() == "True"


def test_an_upload_over_nginxs_limit_gets_a_page_that_says_so(stack):
    """A 200 MB feed file never reaches the app: nginx answers with a page a person can read."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    conn = http.client.HTTPSConnection("127.0.0.1", stack.https, context=context, timeout=15)
    # Only the headers: nginx decides on Content-Length before reading the body.
    conn.putrequest("POST", "/meetings/feeds/add/", skip_host=True)
    conn.putheader("Host", f"localhost:{stack.https}")
    conn.putheader("Content-Type", "multipart/form-data; boundary=x")
    conn.putheader("Content-Length", str(200 * 1024 * 1024))
    conn.endheaders()
    response = conn.getresponse()
    body = response.read().decode()
    conn.close()

    assert response.status == 413
    assert "That file is too large" in body and "by its web address" in body


def test_healthz_follows_the_workers_down_and_up(stack):
    status, answer = health(stack)
    assert status == 200
    assert answer["status"] == "ok"
    assert set(answer["checks"]) == {"database", "broker", "worker_heartbeat", "beat"}
    _status, headers, _body = https_get(f"{stack.site_url}/healthz")
    assert "no-store" in headers["Cache-Control"]

    # Every worker killed outright, by PID: no goodbye, only a heartbeat that stops.
    for name in ("worker1", "worker2"):
        os.kill(stack.processes[name].pid, signal.SIGKILL)
        stack.stop(name, signal.SIGKILL)
    status, answer = wait_for(
        lambda: (result := health(stack))[0] == 503 and result,
        timeout=30,
        what="/healthz to notice the dead workers",
        logs=stack,
    )
    assert answer["checks"]["worker_heartbeat"]["ok"] is False
    assert answer["checks"]["database"]["ok"] is True
    assert answer["checks"]["broker"]["ok"] is True
    assert answer["checks"]["beat"]["ok"] is True

    stack.start_worker("worker1")
    stack.start_worker("worker2")
    wait_for(lambda: health(stack)[0] == 200, timeout=60, what="/healthz to recover", logs=stack)
