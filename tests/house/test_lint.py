"""The code as pyproject.toml asks for it: ruff finds nothing, mypy reports no error."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(tool: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).with_name(tool)), *args], cwd=ROOT,
                          capture_output=True, text=True)


def test_ruff_finds_nothing():
    done = run("ruff", "check", "--no-cache", "src", "tests", "bench")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-1000:]


def test_mypy_reports_no_error():
    done = run("mypy", "--cache-dir", "/dev/null")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-1000:]
    assert "Success: no issues found" in done.stdout
