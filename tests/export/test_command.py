"""`warroom export` as people run it: output, files, options, clean one-line errors."""
import csv
import io
import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from warroom.cli import main

from .conftest import at


@pytest.fixture
def run(known_day):
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(main, ["--db", str(known_day), "--as", "Auditor", "export", *args])
    return invoke


def test_markdown_to_standard_output_by_default(run):
    result = run()
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# Go-live report: Checkout v2 go-live\n")
    assert "- **Exported:** by Auditor at " in result.stdout


def test_out_writes_a_file_and_refuses_to_overwrite_it_without_force(run, tmp_path):
    target = tmp_path / "report.html"
    first = run("--format", "html", "--out", str(target))
    assert first.exit_code == 0 and first.stdout == "" and f"wrote {target}" in first.stderr
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    target.write_text("kept", encoding="utf-8")
    refused = run("--format", "html", "--out", str(target))
    assert refused.exit_code == 2
    assert refused.stderr == f"warroom: {target}: already exists (use --force to replace it)\n"
    assert target.read_text(encoding="utf-8") == "kept"
    forced = run("--format", "csv", "--out", str(target), "--force")
    assert forced.exit_code == 0 and target.read_text(encoding="utf-8").startswith("id,happened_at")
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temporary file left behind


def test_as_of_hh_mm_is_read_on_the_go_live_day(run):
    result = run("--format", "json", "--as-of", "21:05")
    report = json.loads(result.stdout)
    assert report["window"]["as_of"] == at("21:05")
    assert {s["id"]: s["status"] for s in report["state"]["steps"]}["migrate"] == "failed"


def test_since_and_until_bound_the_listing(run):
    rows = list(csv.DictReader(io.StringIO(run("--format", "csv", "--since", "21:00", "--until", "H+1h30m").stdout)))
    assert [r["happened_local"][11:16] for r in rows] == [
        "21:00", "21:00", "21:03", "21:05", "21:10", "21:12", "21:15", "21:20", "21:21", "21:25",
        "21:30", "21:30", "21:30"]


def test_tz_shows_times_in_another_zone(run):
    shown = run("--tz", "America/New_York", "--as-of", "15:05").stdout
    assert "- **Board and figures:** 2026-11-10 15:05 EST (20:05 UTC)" in shown
    assert "GO by Alice Martin at 2026-11-10 13:45 EST (18:45 UTC)" in shown
    assert "GO by Alice Martin at 2026-11-10 18:45 UTC: All gates green" in run("--tz", "UTC").stdout


@pytest.mark.parametrize("args, message", [
    (["--as-of", "25:99"], "warroom: bad time '25:99': no such clock time\n"),
    (["--since", "yesterday"], "warroom: bad time 'yesterday': use ISO 8601 like 2026-11-24T20:00\n"),
    (["--tz", "Mars/Olympus"], "warroom: unknown time zone 'Mars/Olympus'\n"),
])
def test_bad_input_ends_with_one_line_and_exit_2(run, args, message):
    result = run(*args)
    assert (result.exit_code, result.stderr) == (2, message)


def test_a_file_that_is_not_a_war_room(tmp_path):
    (tmp_path / "x.db").write_text("hello")
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "x.db"), "export"])
    message = f"warroom: {tmp_path / 'x.db'}: not a war room (not a SQLite database)\n"
    assert (result.exit_code, result.stderr) == (2, message)


def test_importing_the_export_loads_no_textual():
    code = ("import sys, warroom.cli.export, warroom.export.write, warroom.store.queries;"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "[]\n"
