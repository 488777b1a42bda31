"""The `gradwalk` command: eval prints a node table or Graph JSON; errors go to stderr with exit code 2."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from gradwalk.cli import main


def test_eval_prints_a_table_with_data_and_grad(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "a = 2; b = a*a"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["id", "label", "op", "role", "data", "grad"]
    assert lines[1].split() == ["n0", "a", "input", "2.0000", "4.0000"]
    assert lines[2].split() == ["n1", "b", "*", "op", "4.0000", "1.0000", "<-", "output"]


def test_eval_json_and_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "a = 2.0; d = a*a; L = d + 1", "--json", "--output", "d"]) == 0
    g = json.loads(capsys.readouterr().out)
    out = next(n for n in g["nodes"] if n["id"] == g["output"])
    assert out["label"] == "d" and len(g["nodes"]) == 2


def test_eval_warnings_and_stdin(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("x = 1000.0\ny = exp(x)\n"))
    assert main(["eval", "-"]) == 0
    out = capsys.readouterr().out
    assert "Infinity" in out and "warning:" in out


def test_eval_error_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "y = tanhh(2)"]) == 2
    err = capsys.readouterr().err
    assert "line 1, column 5" in err and "did you mean 'tanh'" in err


def test_installed_entry_point_runs() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "gradwalk.cli", "eval", "a = 3.0; L = a*a"], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0 and "6.0000" in r.stdout


def test_dot_prints_draw_dot_records(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dot", "a = 2.0; b = a*a"]) == 0
    dot = capsys.readouterr().out
    assert dot.lstrip().startswith("digraph") and "rankdir=LR" in dot
    assert "{ a | data 2.0000 | grad 4.0000 }" in dot and "{ b | data 4.0000 | grad 1.0000 }" in dot


def test_svg_renders_with_graphviz() -> None:
    # `make test` installs Graphviz's dot binary (system-deps)
    r = subprocess.run(
        [sys.executable, "-m", "gradwalk.cli", "svg", "a = 2.0; b = a*a"], capture_output=True, timeout=60
    )
    assert r.returncode == 0, r.stderr
    assert b"<svg" in r.stdout and b"grad 4.0000" in r.stdout
