"""The project's two commands and its container files agree with each other.

No Docker engine runs here, so the Dockerfile and compose file are read, and
`make run` itself is started and asked for /healthz."""

from __future__ import annotations

import re
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVE = "gradwalk.api.serve"


def test_dockerfile_compose_and_makefile_agree() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    compose = (ROOT / "docker-compose.yml").read_text()
    makefile = (ROOT / "Makefile").read_text()
    assert dockerfile.startswith("# ")
    assert re.search(r"^FROM python:3\.11\.\d+-slim-\w+$", dockerfile, re.M), "the base image is pinned to a release"
    assert re.search(r"apt-get install .*graphviz", dockerfile)
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.M), "the image runs as a non-root user"
    assert f'"-m", "{SERVE}"' in dockerfile and f"SERVE  := {SERVE}" in makefile and "-m $(SERVE)" in makefile
    assert re.search(r'pip install --no-cache-dir "\.\[server\]"', dockerfile), "installed, not editable"
    assert "-e " not in dockerfile and "GRADWALK_FRONTEND_DIR=/app/frontend" in dockerfile
    assert '"--host", "0.0.0.0", "--port", "8000"' in dockerfile and "EXPOSE 8000" in dockerfile
    assert "HEALTHCHECK" in dockerfile and "127.0.0.1:8000/healthz" in dockerfile
    assert re.search(r"^    mem_limit: \d+[mg]$", compose, re.M), "compose bounds the container's memory"
    assert '"8000:8000"' in compose and "127.0.0.1:8000/healthz" in compose and "healthcheck:" in compose
    assert "PORT   ?= 8000" in makefile and '.[server]' in dockerfile and '.[server]' in makefile


def test_ci_runs_make_test_and_the_live_oracles() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert "set -euo pipefail" in ci and "make test\n" in ci and "make test-torch" in ci


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_make_run_serves_healthz() -> None:
    port = free_port()
    proc = subprocess.Popen(
        ["make", "--no-print-directory", "run", f"PORT={port}"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
                assert time.monotonic() < deadline, "make run did not answer /healthz within 60 s"
                time.sleep(0.3)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
            assert r.status == 200 and b"gradwalk" in r.read()
    finally:
        import os
        import signal

        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)


def test_the_kubernetes_manifest_deploys_the_service_with_probes_and_limits() -> None:
    import yaml

    docs = list(yaml.safe_load_all((ROOT / "deploy" / "kubernetes.yaml").read_text()))
    kinds = {d["kind"]: d for d in docs}
    assert set(kinds) == {"Deployment", "Service"}
    pod = kinds["Deployment"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    port = container["ports"][0]
    assert port["containerPort"] == 8000 and port["name"] == kinds["Service"]["spec"]["ports"][0]["targetPort"]
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert {"cpu", "memory"} <= set(container["resources"]["limits"])
    labels = kinds["Deployment"]["spec"]["template"]["metadata"]["labels"]
    assert kinds["Service"]["spec"]["selector"] == labels == kinds["Deployment"]["spec"]["selector"]["matchLabels"]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert int(env["GRADWALK_WORKERS"]) >= 1
