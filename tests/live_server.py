"""Run Nova the way production does, for tests that need a real server.

``bin/start`` (the Docker image's command) runs as a child process on a
free port with a brand-new data directory: it migrates, collects static
files and serves with daphne, exactly as on a fresh machine.

When the suite itself runs on PostgreSQL and Redis (``DATABASE_URL`` and
``REDIS_URL`` set), the server must not share the ``test`` database with
pytest-django, nor channel-layer groups with another server: it gets a
database of its own on the same PostgreSQL, dropped afterwards, and a
channel-layer prefix of its own on the same Redis, cleared afterwards.
Without those variables it runs on SQLite in its data directory and the
in-memory channel layer.

Several servers can share one scratch database and prefix, as the daphne
processes of a scaled-out install do: enter ``scratch_services`` once and
pass what it yields to each ``running_nova`` (with one data directory, so
they share the secret key and the media files too).
"""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import redis
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
START_SCRIPT = ROOT / "bin" / "start"
STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0

# Settings the server must not inherit from whoever runs the tests: each
# is either chosen below or left to its production default.
_INHERITED_SETTINGS = (
    "ALLOWED_HOSTS",
    "CHANNEL_PREFIX",
    "CSRF_TRUSTED_ORIGINS",
    "DATABASE_URL",
    "DEBUG",
    "NOVA_DATA_DIR",
    "REDIS_URL",
    "SECRET_KEY",
    "SECURE_COOKIES",
)


@dataclass(frozen=True)
class NovaServer:
    """A running ``bin/start`` and where to find what it made."""

    process: subprocess.Popen[bytes]
    url: str
    data_dir: Path
    log_path: Path
    env: dict[str, str]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on at the moment."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get(url: str, timeout: float = 5.0) -> tuple[int, dict[str, str], bytes]:
    """GET ``url``; return status, headers and body, whatever the status."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@contextmanager
def scratch_services() -> Iterator[dict[str, str]]:
    """The database and channel-layer settings of one or more servers: a
    scratch PostgreSQL database and Redis prefix when the suite runs on
    them (removed when the block ends), else nothing (SQLite, in memory)."""
    with ExitStack() as cleanup:
        env = cleanup.enter_context(_scratch_database())
        env |= cleanup.enter_context(_scratch_channel_layer())
        yield env


@contextmanager
def running_nova(
    workdir: Path,
    *,
    services: Mapping[str, str] | None = None,
    data_dir: Path | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> Iterator[NovaServer]:
    """Start ``bin/start`` under ``workdir`` and yield it once healthy.

    The data directory (``workdir/data`` unless given) does not exist
    beforehand, as on a fresh volume. However the block ends, the server is
    stopped and, unless ``services`` came from the caller's own
    ``scratch_services``, its scratch database and channel-layer keys are
    removed. ``extra_env`` adds settings (``ASGI_APP``, ...).
    """
    with ExitStack() as cleanup:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in _INHERITED_SETTINGS
        }
        if services is None:
            services = cleanup.enter_context(scratch_services())
        env |= services
        data_dir = data_dir or workdir / "data"
        port = free_port()
        env |= {
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "PYTHON": sys.executable,
            "NOVA_DATA_DIR": str(data_dir),
            "PYTHONUNBUFFERED": "1",
        }
        env |= extra_env or {}
        workdir.mkdir(parents=True, exist_ok=True)
        log_path = workdir / "server.log"

        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [str(START_SCRIPT)],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own process group, so nothing it starts outlives it.
                start_new_session=True,
            )
        cleanup.callback(stop, process)
        server = NovaServer(
            process=process,
            url=f"http://127.0.0.1:{port}/",
            data_dir=data_dir,
            log_path=log_path,
            env=env,
        )

        _wait_until_healthy(server)
        yield server


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the server politely, and by force if it does not listen."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT)


def _wait_until_healthy(server: NovaServer) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"bin/start exited with {server.process.returncode}:\n{server.log()}"
            )
        try:
            status, _, _ = get(server.url + "healthz", timeout=2)
        except OSError:
            status = 0  # Not listening yet.
        if status == 200:
            return
        time.sleep(0.2)
    raise TimeoutError(
        f"/healthz did not answer 200 within {STARTUP_TIMEOUT:.0f} s:\n{server.log()}"
    )


def _scratch_name() -> str:
    return f"nova_e2e_{os.getpid()}_{secrets.token_hex(4)}"


@contextmanager
def _scratch_database() -> Iterator[dict[str, str]]:
    """A fresh PostgreSQL database when the suite runs on PostgreSQL."""
    base_url = os.environ.get("DATABASE_URL")
    if not base_url:
        yield {}
        return

    name = _scratch_name()
    # CREATE and DROP DATABASE cannot run inside the database concerned.
    admin_url = urlsplit(base_url)._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield {"DATABASE_URL": urlsplit(base_url)._replace(path=f"/{name}").geturl()}
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            # FORCE: a server killed mid-request may leave a session behind.
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name)
                )
            )


@contextmanager
def _scratch_channel_layer() -> Iterator[dict[str, str]]:
    """A channel-layer prefix of its own when the suite runs on Redis."""
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        yield {}
        return

    prefix = _scratch_name()
    try:
        yield {"REDIS_URL": redis_url, "CHANNEL_PREFIX": prefix}
    finally:
        client = redis.Redis.from_url(redis_url)
        try:
            for key in client.scan_iter(match=f"{prefix}*"):
                client.delete(key)
        finally:
            client.close()
