"""bin/start, the Docker image's command, run outside Docker (O2, O4, O5).

Each server starts on a data directory that does not exist yet, as on a
fresh volume, and on PostgreSQL and Redis when the suite runs there.
"""

import json
import re
import signal
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live_server import ROOT, STOP_TIMEOUT, NovaServer, get, running_nova

# The manifest storage links each static file under a name with its hash.
HASHED_HTMX = re.compile(
    r'src="/(static/vendor/htmx-[\d.]+/htmx\.min\.[0-9a-f]{12}\.js)"'
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NovaServer]:
    with running_nova(tmp_path_factory.mktemp("start-script")) as running:
        yield running


def test_start_script_serves_a_healthy_app(server: NovaServer) -> None:
    """/healthz reports both the database and the channel layer as working."""
    status, headers, body = get(server.url + "healthz")

    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"database": "ok", "channel_layer": "ok"}


def test_start_script_applies_every_migration(server: NovaServer) -> None:
    check = subprocess.run(
        [server.env["PYTHON"], "manage.py", "migrate", "--check"],
        cwd=ROOT,
        env=server.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    status, _, body = get(server.url + "accounts/register/")

    assert check.returncode == 0, check.stdout + check.stderr
    assert status == 200
    assert b"Create an account" in body


def test_start_script_serves_vendored_static_files_through_whitenoise(
    server: NovaServer,
) -> None:
    """Pages link hashed file names, which are served and cached for good."""
    _, _, page = get(server.url + "accounts/register/")
    match = HASHED_HTMX.search(page.decode())
    assert match, "the page does not link a hashed htmx file"

    status, headers, body = get(server.url + match.group(1))

    assert status == 200
    assert "javascript" in headers["Content-Type"]
    assert "immutable" in headers["Cache-Control"]
    assert b"htmx" in body


def test_start_script_generates_a_private_secret_key_in_the_data_dir(
    server: NovaServer,
) -> None:
    key_file = server.data_dir / "secret_key"

    key = key_file.read_text().strip()

    assert len(key) >= 50
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key not in server.log()


def test_start_script_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    """SIGTERM, as ``docker stop`` sends it to the container's first process,
    ends the server at once and without an error."""
    with running_nova(tmp_path) as server:
        server.process.send_signal(signal.SIGTERM)
        returncode = server.process.wait(timeout=STOP_TIMEOUT)

        assert returncode == 0, server.log()
        assert "Traceback" not in server.log()
