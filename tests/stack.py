"""Real processes for tests and benchmarks that run the app as a server does: gunicorn,
Celery workers and beat, nginx, each its own process with the deployment's environment.

Used by tests/deploy/test_production_stack.py and tests/bench/bench_load.py.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, *, timeout: float, what: str, logs: Stack | None = None):
    """Poll a real process's side effect; real processes take real time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := predicate():
            return result
        time.sleep(0.25)
    detail = logs.tail() if logs else ""
    pytest.fail(f"Timed out after {timeout:.0f}s waiting for {what}.{detail}")


@dataclass
class Stack:
    folder: Path
    env: dict[str, str]
    https: int = 0
    http: int = 0
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def site_url(self) -> str:
        return f"https://localhost:{self.https}"

    def start(self, name: str, *args: str) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            args,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            # Its own process group: stopping it stops the children it forked too.
            start_new_session=True,
        )
        log.close()
        self.processes[name] = process
        return process

    def start_worker(self, name: str) -> subprocess.Popen:
        return self.start(
            name,
            str(BIN / "celery"),
            "-A",
            "recovery",
            "worker",
            "--hostname",
            f"{name}@%h",
            "--concurrency=1",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
        )

    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        process = self.processes.pop(name)
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)

    def manage(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [str(BIN / "python"), "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stderr}"
        return result

    def script(self, code: str) -> str:
        """Python run against the deployment's settings and database, as an operator would."""
        result = subprocess.run(
            [str(BIN / "python"), "-c", "import django; django.setup()\n" + code],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop(name)

    def tail(self) -> str:
        out = []
        for log in sorted(self.folder.glob("*.log")):
            lines = log.read_text(errors="replace").splitlines()[-25:]
            out.append(f"\n--- {log.name} ---\n" + "\n".join(lines))
        return "".join(out)


def database_url(name: str) -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{name}"))


def deployment_env(folder: Path, database: str, **settings: str) -> dict[str, str]:
    """What a deployment's processes get: this process's environment without its own test
    settings, then DJANGO_DEBUG=0, fresh keys, the named database on DATABASE_URL's server,
    Redis, state under `folder`, TLS ended by a proxy in front, REQUIRE_2FA, kept database
    connections and mail to loopback. `settings` add to or override these."""
    from cryptography.fernet import Fernet

    environ = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE", "CI"}
        and not key.startswith(("DJANGO_", "SECURE_", "EMAIL_", "GUNICORN_", "WEB_"))
    }
    return {
        **environ,
        "DJANGO_SETTINGS_MODULE": "recovery.settings",
        "DJANGO_DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "DATABASE_URL": database_url(database),
        "REDIS_URL": os.environ["REDIS_URL"],
        "VAR_DIR": str(folder / "var"),
        "STATIC_ROOT": str(folder / "static"),
        "TRUST_X_FORWARDED_PROTO": "1",
        "REQUIRE_2FA": "1",
        "EMAIL_HOST": "127.0.0.1",
        # As deploy/recovery.env.example has it: each process keeps its database connection.
        "DATABASE_CONN_MAX_AGE": "60",
        **settings,
    }


@contextlib.contextmanager
def own_database_and_queue(prefix: str):
    """A new PostgreSQL database on DATABASE_URL's server and a Celery queue name of its own,
    for one deployment; the database is dropped and the queue emptied afterwards."""
    import psycopg
    import redis

    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    queue = f"{prefix.replace('_', '-')}-{uuid.uuid4().hex[:8]}"
    admin_url = database_url("postgres")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name, queue
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        redis.Redis.from_url(os.environ["REDIS_URL"]).delete(queue)
