"""A real service for the tests that need sockets: `python -m gradwalk.api.serve` in a subprocess."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Live:
    def __init__(self, proc: subprocess.Popen[bytes], port: int) -> None:
        self.proc = proc
        self.port = port
        self.url = f"http://127.0.0.1:{port}"

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=10)

    def raw(self, request: bytes, timeout: float = 10) -> bytes:
        """Send `request` on a fresh connection and read until the server closes it or goes quiet."""
        with self.connect() as s:
            s.settimeout(timeout)
            s.sendall(request)
            chunks = []
            try:
                while chunk := s.recv(65536):
                    chunks.append(chunk)
            except TimeoutError:
                pass
            return b"".join(chunks)


def start(env: dict[str, str] | None = None) -> Live:
    port = free_port()
    full_env = {**os.environ, "PYTHONPATH": str(ROOT / "backend"), **(env or {})}
    cmd = [sys.executable, "-m", "gradwalk.api.serve", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return Live(proc, port)
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the server did not start")


def stop(live: Live) -> None:
    if live.proc.poll() is None:
        live.proc.send_signal(signal.SIGTERM)
        try:
            live.proc.wait(10)
        except subprocess.TimeoutExpired:
            live.proc.kill()
            live.proc.wait()


@contextmanager
def serving(env: dict[str, str] | None = None) -> Iterator[Live]:
    live = start(env)
    try:
        yield live
    finally:
        stop(live)
