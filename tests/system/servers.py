"""Real `keyplane serve` processes and CLI runs for the multi-instance tests: started on free
ports, waited for through /healthz, always terminated and waited for."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 30
STOP_TIMEOUT_S = 15


def _env(database_url: str, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEYPLANE_")}
    return {**env, "KEYPLANE_DATABASE_URL": database_url, "KEYPLANE_LOG_LEVEL": "WARNING", **extra}


def cli(database_url: str, *argv: str) -> str:
    """Run `python -m app ARGV…`; returns its stdout (where created ids and secrets go alone)."""
    done = subprocess.run([sys.executable, "-m", "app", *argv], cwd=ROOT, env=_env(database_url),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"keyplane {' '.join(argv)} failed ({done.returncode}): {done.stderr}"
    return done.stdout.strip()


_next_in_range = 0


def free_port() -> int:
    """A free port: any (the OS picks), or one of KEYPLANE_TEST_PORTS ("19200-19299") on a shared machine."""
    global _next_in_range
    wanted = os.environ.get("KEYPLANE_TEST_PORTS")
    candidates = [0]
    if wanted:
        low, high = (int(part) for part in wanted.split("-"))
        candidates = [low + (_next_in_range + i) % (high - low + 1) for i in range(high - low + 1)]
    for port in candidates:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            _next_in_range += 1
            return sock.getsockname()[1]
    raise RuntimeError(f"no free port in {wanted}")


@dataclass
class Instance:
    base_url: str
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


def start(database_url: str, log_path: Path, args: tuple[str, ...] = (), **env: str) -> Instance:
    """Start `keyplane serve --no-bootstrap [ARGS]` on a free port (does not wait for it)."""
    port = free_port()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--no-bootstrap", "--port", str(port), *args],
            cwd=ROOT, env=_env(database_url, **env), stdout=log, stderr=subprocess.STDOUT,
        )
    return Instance(f"http://127.0.0.1:{port}", process, log_path)


def wait_ready(instance: Instance, timeout: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if instance.process.poll() is not None:
            raise AssertionError(f"{instance.base_url} exited with {instance.process.returncode}:\n{instance.log()}")
        try:
            if httpx.get(instance.base_url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"{instance.base_url} was not healthy within {timeout} s:\n{instance.log()}")


def stop(instance: Instance) -> None:
    """SIGTERM (a graceful shutdown), then SIGKILL if it does not end in time."""
    if instance.process.poll() is None:
        instance.process.terminate()
    try:
        instance.process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        instance.process.kill()
        instance.process.wait(timeout=STOP_TIMEOUT_S)
