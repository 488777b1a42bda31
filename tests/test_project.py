"""The project's two commands and its container files agree with each other.

No Docker engine runs here, so the Dockerfile and compose file are read, and
`make run` itself is started and asked for /healthz."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
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
    assert "-e " not in dockerfile
    # the page goes into the package, so it is copied before the install
    assert dockerfile.index("COPY frontend ./frontend") < dockerfile.index('pip install --no-cache-dir ".[server]"')
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


def test_an_installed_wheel_carries_the_page_and_writes_the_notebook_html(tmp_path: Path) -> None:
    """`pip install gradwalk` (a wheel, not this checkout) must still draw gradwalk.show() and
    gradwalk.to_html(): the page's files travel as package data (gradwalk/frontend)."""
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    src = tmp_path / "src"  # a copy, so the build leaves nothing in the checkout (build/, egg-info)
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for name in ("backend", "frontend"):  # symlinks kept: backend/gradwalk/frontend is ../../frontend
        shutil.copytree(ROOT / name, src / name, symlinks=True, ignore=skip)
    build = subprocess.run(
        [*pip, "wheel", str(src), "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "dist")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    (wheel,) = (tmp_path / "dist").glob("gradwalk-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    page = ROOT / "frontend"
    for f in ["index.html", "css/app.css", *(f"js/{p.name}" for p in (page / "js").glob("*.js"))]:
        assert f"gradwalk/frontend/{f}" in names, f
    site = tmp_path / "site"
    install = subprocess.run(
        [*pip, "install", "--no-deps", "--target", str(site), str(wheel)], capture_output=True, text=True
    )
    assert install.returncode == 0, install.stderr
    out = tmp_path / "graph.html"
    script = (
        "import gradwalk; from gradwalk import Value\n"
        f"assert gradwalk.__file__.startswith({str(site)!r}), gradwalk.__file__\n"
        f"a = Value(2.0, label='a'); b = (a * a).tanh(); gradwalk.to_html(b, {str(out)!r})\n"
    )
    run = subprocess.run([sys.executable, "-c", script], env={**os.environ, "PYTHONPATH": str(site)},
                         capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
    assert run.returncode == 0, run.stderr
    html = out.read_text()
    assert "__gw['main']" in html and '"a"' in html
