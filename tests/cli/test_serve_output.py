"""What the real commands print: `keyplane serve` says where it listens on every start, and a
reader that goes away early (`keyplane schema | head`) gets no traceback."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from tests.system.servers import ROOT, _env

START_TIMEOUT_S = 30


def _sqlite_url(tmp_path: Path) -> str:
    return f"sqlite://{tmp_path}/kp.sqlite3"


def _serve_until_announced(database_url: str, *argv: str, **env: str) -> tuple[str, str, int]:
    """Run `python -m app serve ARGV` on port 0 until it has announced GraphiQL (or the
    dashboard, when GraphiQL is off) and answered /healthz there; then stop it. Returns
    (stdout, stderr, the port it announced)."""
    process = subprocess.Popen([sys.executable, "-m", "app", "serve", "--port", "0", *argv], cwd=ROOT,
                               env=_env(database_url, KEYPLANE_LOG_LEVEL="INFO", **env),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    err_lines: list[str] = []
    announced = threading.Event()

    def read_stderr() -> None:
        for line in process.stderr:
            err_lines.append(line)
            if "dashboard:" in line:
                announced.set()

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    try:
        assert announced.wait(START_TIMEOUT_S), f"serve announced nothing: {''.join(err_lines)}"
        dashboard = re.search(r"dashboard: (\S+)", "".join(err_lines)).group(1)
        port = int(re.search(r":(\d+)/$", dashboard).group(1))
        assert httpx.get(f"{dashboard}healthz", timeout=5).json() == {"status": "ok"}
        assert "<title>" in httpx.get(dashboard, timeout=5).text
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=20)
        reader.join(timeout=5)
    return out, "".join(err_lines), port


def test_every_start_says_where_it_listens_and_where_the_pages_are(tmp_path):
    url = _sqlite_url(tmp_path)
    first_out, first_err, port = _serve_until_announced(url)
    assert "management token (GraphQL): kpm_" in first_out
    assert f"keyplane: listening on 127.0.0.1:{port}\n" in first_err
    assert f"  dashboard: http://127.0.0.1:{port}/\n" in first_err
    assert f"  GraphiQL:  http://127.0.0.1:{port}/graphql\n" in first_err
    assert "shutdown" not in (first_out + first_err).lower()

    again_out, again_err, port = _serve_until_announced(url)   # not the first start: no tokens, same news
    assert "kpm_" not in again_out and "first start" not in again_out
    assert f"  dashboard: http://127.0.0.1:{port}/\n" in again_err
    assert f"  GraphiQL:  http://127.0.0.1:{port}/graphql\n" in again_err
    assert "shutdown" not in (again_out + again_err).lower()


def test_without_graphiql_no_graphiql_url_is_offered(tmp_path):
    _, err, port = _serve_until_announced(_sqlite_url(tmp_path), "--no-bootstrap", KEYPLANE_GRAPHIQL="false")
    assert f"  dashboard: http://127.0.0.1:{port}/\n" in err
    assert "GraphiQL" not in err


def test_a_wildcard_host_offers_urls_a_browser_can_open():
    from app.cli import where_to_go

    assert where_to_go("0.0.0.0", 8000, True).splitlines() == [
        "keyplane: listening on 0.0.0.0:8000", "  dashboard: http://127.0.0.1:8000/",
        "  GraphiQL:  http://127.0.0.1:8000/graphql"]
    assert "http://[::1]:8000/" in where_to_go("::", 8000, False)


@pytest.mark.parametrize("argv", [["schema"], ["catalog", "export"]])
def test_a_reader_that_stops_early_gets_no_traceback(tmp_path, argv):
    """`keyplane schema | head`: the pipe's reader is gone before the command writes."""
    read_end, write_end = os.pipe()
    os.close(read_end)   # every write now fails with EPIPE, as after `head` has exited
    try:
        done = subprocess.run([sys.executable, "-m", "app", *argv], cwd=ROOT, env=_env(_sqlite_url(tmp_path)),
                              stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=60)
    finally:
        os.close(write_end)
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr
    assert done.stderr == ""
    assert done.returncode == 1
