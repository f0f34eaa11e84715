"""One source command, run for real: what it prints becomes a number or a failure with its
reason, and nothing it started outlives it."""
from __future__ import annotations

import random
import threading

import pytest

from warroom.watch.source import MAX_OUTPUT, parse, run

from .conftest import running, wait_for


@pytest.mark.parametrize(("text", "value"), [
    ("42.5\n", 42.5), ("  -3 ", -3.0), ("1e3", 1000.0), (".5", 0.5), ("+7.", 7.0),
    ('{"value": 12}', 12.0), ('{"value": -0.25, "unit": "ms"}', -0.25),
])
def test_a_number_or_json_with_a_value_is_read(text, value):
    assert parse(text) == (value, None)


@pytest.mark.parametrize(("text", "error"), [
    ("", "no output"),
    ("   \n", "no output"),
    ("garbage", "not a number: garbage"),
    ("NaN", "not a finite number: NaN"),
    ("-inf", "not a finite number: -inf"),
    ("1e999", "not a finite number: 1e999"),
    ("1_000", "not a number: 1_000"),  # Python's float() reads it: a person would not
    ("٣", "not a number: ٣"),  # nor this 3
    ("42\n43", "not a number: 42…"),
    ("x" * 200, "not a number: " + "x" * 80 + "…"),
    ('{"value": true}', 'no numeric "value" in JSON: {"value": true}'),
    ('{"value": "42"}', 'no numeric "value" in JSON: {"value": "42"}'),
    ('{"count": 42}', 'no numeric "value" in JSON: {"count": 42}'),
    ('{"value": NaN}', "not a finite number: nan"),
    ('{"value": 1' + "0" * 400 + "}", "not a finite number: 1" + "0" * 79 + "…"),
    ("{not json", "not a number: {not json"),
    ("{" * 50_000, "not a number: " + "{" * 80 + "…"),
])
def test_anything_else_is_a_failure_with_its_reason(text, error):
    assert parse(text) == (None, error)


@pytest.mark.parametrize("text", ["\x1c42\x1f", "\xa042", "42\x00"])
def test_control_characters_or_a_no_break_space_around_a_number_are_not_spaces(text):
    value, error = parse(text)
    assert value is None and error.startswith("not a number")


def test_a_command_runs_in_the_given_folder_and_its_output_is_read(tmp_path):
    (tmp_path / "value.txt").write_text("17\n")
    reading = run("cat value.txt", 5, tmp_path)
    assert (reading.value, reading.error) == (17.0, None)


@pytest.mark.parametrize(("command", "error"), [
    ("echo 'connection refused' >&2; echo partial; exit 1", "exit 1: connection refused"),
    ("echo 'only on stdout'; exit 3", "exit 3: only on stdout"),
    ("exit 4", "exit 4"),
    ("kill -9 $$", "killed by SIGKILL"),
    ("printf 'a\\033]0;pwned\\007'", "not a number: a\x1b]0;pwned\x07"),  # made visible when recorded
])
def test_a_failed_command_says_why(tmp_path, command, error):
    reading = run(command, 5, tmp_path)
    assert (reading.value, reading.error) == (None, error)


def test_a_hanging_pipeline_is_killed_whole_at_its_timeout(tmp_path):
    marker = f"sleep 30.{random.randrange(10**6):06d}"
    reading = run(f"{marker} | cat", 1, tmp_path)
    assert (reading.value, reading.error) == (None, "timed out after 1s")
    assert wait_for(lambda: not running(marker), 5)


def test_a_background_child_does_not_hold_the_reading_and_is_killed(tmp_path):
    marker = f"sleep 30.{random.randrange(10**6):06d}"
    reading = run(f"{marker} & echo 5", 10, tmp_path)
    assert (reading.value, reading.error) == (5.0, None)
    assert wait_for(lambda: not running(marker), 5)


def test_huge_output_is_a_failure_read_no_further_than_the_limit(tmp_path):
    reading = run("yes | head -c 200000000", 10, tmp_path)
    assert (reading.value, reading.error) == (None, f"more than {MAX_OUTPUT // 1024} KiB of output")
    huge_error = run("yes 'boom' | head -c 20000000 >&2; echo 1", 10, tmp_path)
    assert (huge_error.value, huge_error.error) == (1.0, None)  # stderr's tail is kept, not all of it


def test_a_cancelled_run_is_stopped_and_leaves_nothing(tmp_path):
    marker = f"sleep 30.{random.randrange(10**6):06d}"
    cancel = threading.Event()
    threading.Timer(0.5, cancel.set).start()
    reading = run(f"{marker} | cat", 20, tmp_path, cancel)
    assert reading.stopped and reading.value is None
    assert wait_for(lambda: not running(marker), 5)


def test_a_command_that_cannot_start_is_a_failure(tmp_path):
    reading = run("echo 1", 5, tmp_path / "gone")
    assert reading.value is None and reading.error is not None and reading.error.startswith("could not start:")
