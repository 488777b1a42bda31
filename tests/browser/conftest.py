"""Browser-test fixtures: the real app under uvicorn on a free loopback port, and Debian's
Chromium driven by Playwright (sync API). Console errors and page errors are collected
per page so tests can assert there are none."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server() -> tuple[subprocess.Popen[bytes], str]:
    """uvicorn serving gradwalk.api.main:app; returns once /healthz answers. Its log (stderr) goes
    to a file, `server_log(proc)`: a pipe nobody reads would stall the server once full."""
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix=f"gradwalk-server-{port}-", suffix=".log", delete=False)  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "gradwalk.api.main:app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=log,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    log.close()  # the server has its own descriptor
    LOGS[proc.pid] = Path(log.name)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"uvicorn exited early:\n{server_log(proc)}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1) as r:
                if r.status == 200:
                    return proc, base
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("uvicorn did not answer /healthz within 30 s")


LOGS: dict[int, Path] = {}  # server pid -> its log file


def server_log(proc: subprocess.Popen[bytes]) -> str:
    """What the server has logged so far."""
    return LOGS[proc.pid].read_text(errors="replace")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log = LOGS.pop(proc.pid, None)
    if log is not None:
        log.unlink(missing_ok=True)


def launch(playwright):  # type: ignore[no-untyped-def]
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium (apt-get install chromium)")
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


@pytest.fixture(scope="session")
def server() -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    proc, base = start_server()
    try:
        yield proc, base
    finally:
        stop_server(proc)


@pytest.fixture(scope="session")
def base_url(server: tuple[subprocess.Popen[bytes], str]) -> str:
    return server[1]


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


@pytest.fixture
def page(browser, base_url):  # type: ignore[no-untyped-def]
    """A fresh 1280x800 page; `page.console_errors` collects console errors and uncaught exceptions."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=base_url)
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
    pg.console_errors = errors
    # Each run waits on the server's Graphviz layout, seconds when other jobs share the CPU:
    # 30 s (Playwright's default), not 15.
    pg.set_default_timeout(30_000)
    yield pg
    ctx.close()
