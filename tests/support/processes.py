"""Real `keyplane` processes for tests that need them (crash safety, several instances)."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx

from tests.support.live import free_port


def cli(database_url: str, *argv: str) -> str:
    """Run `python -m app ARGV` and return its stdout (the created id or secret)."""
    result = subprocess.run([sys.executable, "-m", "app", *argv], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "KEYPLANE_DATABASE_URL": database_url})
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


class ServerProcess:
    def __init__(self, database_url: str, **env: str) -> None:
        self.database_url = database_url
        self.env = env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> "ServerProcess":
        env = {**os.environ, "KEYPLANE_DATABASE_URL": self.database_url, "KEYPLANE_LOG_LEVEL": "WARNING", **self.env}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--no-bootstrap", "--port", str(self.port)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"keyplane serve exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("keyplane serve did not become healthy")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
