"""Hostile plan files. Each gives one `file:line:column: field: message` line per problem and
exit 1 from `warroom plan check`, and the same lines with exit 2 from `warroom init`; what
`plan check` passes, `init` accepts. One test per kind of hostile input, then a bounded fuzz
of tests/fixtures/small.yaml (mutated characters and lines, hostile fragments spliced in)."""
from __future__ import annotations

import re
import signal
import tempfile
import threading
import time
import tracemalloc
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from warroom.cli import main
from warroom.plan import PlanError, load_plan_text

SMALL = (Path(__file__).resolve().parent.parent / "fixtures" / "small.yaml").read_text(encoding="utf-8")
SHAPE = re.compile(r"^plan\.yaml:(\d+):(\d+): (\S.*?): (\S.*)$")
BREAKS = re.compile("\r\n|[\r\n\x85\u2028\u2029]")  # where YAML (and a problem's line number) sees one
EXAMPLE_SECONDS = 2.0  # the most one `plan check` or `init` may take on any example


class Hang(BaseException):
    """Raised by the alarm in an example that runs far too long (CliRunner lets it through)."""


@contextmanager
def alarm(seconds: float):
    """Interrupt a hang instead of waiting for it forever (where there are POSIX timers)."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def ring(*_):
        raise Hang(f"still running after {seconds} s")
    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run(*args: str):
    """The command in-process, its duration, no traceback allowed."""
    started = time.perf_counter()
    with alarm(10 * EXAMPLE_SECONDS):
        result = CliRunner().invoke(main, list(args))
    elapsed = time.perf_counter() - started
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"`warroom {' '.join(args)}` raised {result.exception!r}") from result.exception
    assert elapsed < EXAMPLE_SECONDS, f"`warroom {' '.join(args[:2])}` took {elapsed:.1f} s"
    return result


def lines(text: str, path: Path) -> list[str]:
    return text.replace(str(path), "plan.yaml").splitlines()


def judge(text: str) -> list[str] | None:
    """Check the plan then init it on a fresh file: either both refuse it with the same
    located lines (returned), or both accept it (None)."""
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        plan = folder / "plan.yaml"
        plan.write_text(text, encoding="utf-8")
        db = folder / "room.db"
        checked = run("plan", "check", str(plan))
        created = run("--db", str(db), "init", str(plan))
        if checked.exit_code == 0:
            assert created.exit_code == 0, f"plan check passed, init refused: {created.output}"
            assert db.exists()
            return None
        assert checked.exit_code == 1, checked.output
        found = lines(checked.stdout, plan)
        assert found, "plan check failed without saying why"
        count = len(BREAKS.split(text)) + 1
        for line in found:
            shape = SHAPE.match(line)
            assert shape, f"not file:line:column: field: message: {line!r}"
            assert 1 <= int(shape[1]) <= count and int(shape[2]) >= 1, line
            assert line.isprintable(), line
        assert created.exit_code == 2 and lines(created.stderr, plan) == found, created.output
        assert not db.exists()
        return found


def refused(text: str) -> list[str]:
    found = judge(text)
    assert found is not None, "the plan was accepted"
    return found


def edit(old: str, new: str, text: str = SMALL) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


# -- each kind of hostile input, refused where it was written ------------------------------
def test_a_raw_control_character_is_located():
    assert refused(edit("warroom: Test go-live", "warroom: Test\x01go-live")) == [
        "plan.yaml:2:14: yaml: character U+0001 ('\\x01') cannot be written in a plan "
        "(write it as an escape in a double-quoted string)"]
    found = refused(edit("title: Tech lead", "title: Tech\x1b[2J\x7flead"))
    assert [line.split(": yaml:")[0] for line in found] == ["plan.yaml:10:16", "plan.yaml:10:20"]


def test_a_merge_key_is_honoured():
    text = edit("  - id: prepare\n", "  - &step\n    id: prepare\n")
    text = edit("  - id: gate-go\n    title: Go / no-go\n    phase: before\n",
                "  - <<: *step\n    id: gate-go\n    title: Go / no-go\n", text)
    text = edit("  - id: smoke\n    title: Smoke tests\n", "  - <<: [{title: Smoke tests, critical: true}, *step]\n"
                "    id: smoke\n", text)
    assert judge(text) is None
    plan = load_plan_text(text)
    gate, smoke = plan.steps[1], plan.steps[3]
    assert (gate.phase, gate.kind, gate.title, gate.planned_duration) == ("before", "gate", "Go / no-go", 900)
    assert (smoke.title, smoke.critical, smoke.owner, smoke.phase) == ("Smoke tests", True, "qa", "day")
    # what a merge brings in is checked, and located where it was written
    assert refused(edit("    phase: before\n", "    phase: bfore\n", text)) == [
        "plan.yaml:20:12: steps[0].phase: Input should be 'before', 'day' or 'after'",
        "plan.yaml:20:12: steps[1].phase: Input should be 'before', 'day' or 'after'"]
    assert refused(edit("  - <<: *step\n", "  - <<: *step\n    <<: 3\n", text)) == [
        "plan.yaml:25:9: steps[1]: a merge key (<<) takes a mapping or a list of mappings, "
        "like <<: *defaults or <<: [*a, *b]"]


def test_unknown_tags_are_refused():
    assert refused(edit("title: Tech lead", "title: !!python/object:os.system echo")) == [
        "plan.yaml:10:12: roles[1].title: unknown tag '!!python/object:os.system': a plan holds only "
        "text, numbers, true/false, dates, lists and mappings"]
    assert refused(edit("golive: 2026-11-24T20:00", "golive: !!timestamp tomorrow")) == [
        "plan.yaml:4:9: golive: 'tomorrow' is not a valid !!timestamp"]
    assert refused(edit("steps: [deploy]", "steps: !!set {deploy}"))[0].startswith(
        "plan.yaml:69:12: risks[0].steps: unknown tag '!!set'")
    assert refused(edit("likelihood: 3", "likelihood: !!binary aGk="))[0].startswith(
        "plan.yaml:65:17: risks[0].likelihood: unknown tag '!!binary'")


def test_impossible_dates():
    assert refused(edit("golive: 2026-11-24T20:00", "golive: 2026-02-30")) == [
        "plan.yaml:4:9: golive: no such date '2026-02-30': day is out of range for month"]
    assert refused(edit("golive: 2026-11-24T20:00", "golive: 2026-02-30T20:00")) == [
        "plan.yaml:4:9: golive: bad time '2026-02-30T20:00': day is out of range for month"]
    assert refused(edit("start: H-1d", "start: 2026-13-01 10:00:00")) == [
        "plan.yaml:21:12: steps[0].start: no such time '2026-13-01 10:00:00': month must be in 1..12"]


def test_numbers_past_any_sane_range():
    assert refused(edit("likelihood: 3", "likelihood: " + "9" * 5000)) == [
        "plan.yaml:65:17: risks[0].likelihood: number '99999999999999999999…' is out of range"]
    assert refused(edit("baseline: 3.1", "baseline: 1.0e+400")) == [
        "plan.yaml:83:15: kpis[0].baseline: number '1.0e+400' is out of range"]
    assert refused(edit("baseline: 3.1", "baseline: -1.0e+16")) == [
        "plan.yaml:83:15: kpis[0].baseline: Input should be greater than or equal to -1000000000000000"]
    assert refused(edit("day: 30}", "day: 99999999}")) == [
        "plan.yaml:78:20: audiences[1].cadence.day: cadence must be a number of minutes from 1 to 43,200"]
    assert refused(edit("duration: 7d", "duration: 99999999999999999999d")) == [
        "plan.yaml:60:15: steps[5].duration: duration '99999999999999999999d' is too long: a step lasts at most 365d"]
    assert refused(edit("start: H-1d", "start: H-99999999d")) == [
        "plan.yaml:21:12: steps[0].start: bad time 'H-99999999d': out of range"]
    assert refused(edit("start: H-1d", "start: H-30000d")) == [
        "plan.yaml:21:12: steps[0].start: time 'H-30000d' is out of range: a plan's times fall between "
        "1970-01-01 and 2199-12-31"]
    assert refused(edit("golive: 2026-11-24T20:00", "golive: 9999-12-31T23:00")) == [
        "plan.yaml:4:9: golive: time '9999-12-31T23:00' is out of range: a plan's times fall between "
        "1970-01-01 and 2199-12-31"]
    assert refused(edit("likelihood: 3", "likelihood: true")) == [
        "plan.yaml:65:17: risks[0].likelihood: Input should be a number, not true"]


def test_a_number_is_not_a_time_nor_a_duration():
    assert refused(edit("start: H-1d", "start: 1795550400")) == [
        "plan.yaml:21:12: steps[0].start: a time is written like 2026-11-24T20:00, or H, H-2h, H+15m for a step"]
    assert refused(edit("duration: 1h", "duration: true")) == [
        "plan.yaml:22:15: steps[0].duration: a duration is written like 45m, 2h, 1h30m, 1d"]


@pytest.mark.parametrize("written, message", [
    (".inf", "'.inf' is not a finite number"),
    ("-.Inf", "'-.Inf' is not a finite number"),
    (".nan", "'.nan' is not a number: write a finite number"),
    ("nan", "Input should be a finite number"),
    ('"-inf"', "Input should be a finite number"),
])
def test_infinity_and_nan(written, message):
    assert refused(edit("target: 3.3", f"target: {written}")) == [f"plan.yaml:84:13: kpis[0].target: {message}"]


def test_a_300_character_time_zone():
    assert refused(edit("timezone: Europe/Paris", "timezone: " + "A" * 300)) == [
        "plan.yaml:3:11: timezone: unknown time zone 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA…'"]
    assert refused(edit("timezone: Europe/Paris", "timezone: ../../etc/passwd")) == [
        "plan.yaml:3:11: timezone: unknown time zone '../../etc/passwd'"]


def test_a_complex_key():
    assert refused(edit("warroom: Test go-live\n", "warroom: Test go-live\n? [a, b]\n: c\n")) == [
        "plan.yaml:3:3: plan: a key must be a plain name, not a list"]
    assert refused(edit("    title: Tech lead\n", "    title: Tech lead\n    ? {a: 1}\n    : c\n")) == [
        "plan.yaml:11:7: roles[1]: a key must be a plain name, not a mapping"]


@pytest.mark.parametrize("nested", [
    "warroom: " + "[" * 1000 + "]" * 1000 + "\n",
    "warroom:\n" + "".join(" " * (i + 1) + "-\n" for i in range(1000)),
    "warroom: " + "{a: " * 1000 + "}" * 1000 + "\n",
], ids=["flow lists", "block lists", "flow mappings"])
def test_a_thousand_levels_of_nesting(nested):
    found = refused(edit("warroom: Test go-live\n", nested))
    assert len(found) == 1 and found[0].endswith(": yaml: nested more than 32 levels deep")


BOMB = "".join([
    "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
    *(f"{x}: &{x} [{', '.join(['*' + y] * 9)}]\n" for y, x in zip("abcdefgh", "bcdefghi", strict=True)),
])


def test_an_alias_bomb_is_refused_at_once_in_little_memory():
    text = BOMB + SMALL
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(PlanError) as caught:
        load_plan_text(text, "plan.yaml")
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert elapsed < 0.5 and peak < 20_000_000, (elapsed, peak)
    assert [str(p) for p in caught.value.problems] == [
        "plan.yaml:9:8: i[0]: alias *h makes the plan 490,329,269 values, once its aliases are expanded: "
        "at most 100,000"]
    assert refused(text) == [str(caught.value.problems[0])]


def test_an_alias_bomb_of_text_and_of_merges():
    text = "a: &a '" + "x" * 20_000 + "'\n" + "b: [" + ", ".join(["*a"] * 100) + "]\n" + SMALL
    assert refused(text) == ["plan.yaml:2:5: b[0]: alias *a makes the plan 2,021,084 characters of text, "
                             "once its aliases are expanded: at most 1,000,000"]
    merges = "a0: &a0 {k: v}\n" + "".join(
        f"a{i}: &a{i} {{<<: [{', '.join([f'*a{i - 1}'] * 9)}], k{i}: [{', '.join([f'*a{i - 1}'] * 9)}]}}\n"
        for i in range(1, 9))
    found = refused(merges + SMALL)
    assert len(found) == 1 and "values, once its aliases are expanded: at most 100,000" in found[0]


def test_aliases_that_hold_themselves():
    assert refused(edit("  - id: prepare\n", "  - &s\n    id: prepare\n    x: [*s]\n")) == [
        "plan.yaml:19:9: steps[0].x[0]: alias *s refers to a value that holds it"]
    assert refused(edit("  - id: prepare\n", "  - &s\n    id: prepare\n    <<: *s\n")) == [
        "plan.yaml:19:9: steps[0]: a merge key (<<) cannot bring in a mapping that holds it"]


def test_a_key_with_a_newline_stays_on_one_line():
    assert refused(edit("warroom: Test go-live\n", 'warroom: Test go-live\n"war\\nroom": x\n')) == [
        "plan.yaml:3:1: 'war\\nroom': unknown key (did you mean 'warroom'?)"]
    assert refused(edit("    title: Tech lead\n", '    "title\\u2028\\u202e": Tech lead\n')) == [
        "plan.yaml:9:5: roles[1].title: missing field",
        "plan.yaml:10:5: roles[1].'title\\u2028\\u202e': unknown key (did you mean 'title'?)"]


def test_text_that_cannot_be_stored_is_refused_by_check_too():
    assert refused(edit("title: Tech lead", 'title: "\\ud800"')) == [
        "plan.yaml:10:12: roles[1].title: the text holds a lone surrogate: it is not valid UTF-8"]
    assert refused(edit("name: Bob Chen", "name: ' '")) == ["plan.yaml:15:12: people[1].name: name must not be empty"]


def test_a_file_that_is_not_utf8_or_far_too_long(tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_bytes(SMALL.replace("Tech lead", "Tech\xa0lead").encode("latin-1"))
    result = run("plan", "check", str(plan))
    assert result.exit_code == 1 and lines(result.stdout, plan) == [
        "plan.yaml:10:16: file: not UTF-8 text: byte 0xa0 (invalid start byte)"]
    with plan.open("wb") as file:  # read no further than a plan may go
        file.write(SMALL.encode() + b"#" * 5_000_000)
    result = run("plan", "check", str(plan))
    assert result.exit_code == 1 and lines(result.stdout, plan) == [
        "plan.yaml:1:1: file: the plan is longer than 1,000,000 characters"]
    plan.write_text(SMALL + "#" * 1_000_000)
    result = run("plan", "check", str(plan))
    assert result.exit_code == 1 and lines(result.stdout, plan) == [
        f"plan.yaml:1:1: file: the plan is {len(SMALL) + 1_000_000:,} characters long: at most 1,000,000"]


def test_a_long_dependency_chain_is_checked_without_recursion():
    head, _, _ = SMALL.partition("steps:\n")
    chain = "".join(f"  - {{id: s{i}, title: T, phase: day, owner: rm, start: H, duration: 1m"
                    f"{f', depends_on: [s{i - 1}]' if i else ''}}}\n" for i in range(1500))
    plan = load_plan_text(head + "steps:\n" + chain)
    assert len(plan.steps) == 1500
    cyclic = chain.replace("id: s0, title: T, phase: day, owner: rm, start: H, duration: 1m",
                           "id: s0, title: T, phase: day, owner: rm, start: H, duration: 1m, depends_on: [s1499]")
    with pytest.raises(PlanError) as caught:
        load_plan_text(head + "steps:\n" + cyclic)
    assert len(caught.value.problems) == 1 and "dependency cycle: s0 -> s1499 -> s1498" in str(caught.value)


# -- the fuzz: mutations of the small plan -------------------------------------------------
FRAGMENTS = [
    "\x00", "\x01", "\x1b[2J", "\x7f", "\x85", "\u2028", "\ufeff", "\t", "\r", "\n", "&x ", "*x", "<<: *x\n",
    "<<: [*x, *x]\n", "&x {a: 1}", "!!python/object:os.system x", "!!timestamp tomorrow", "!!int x",
    "!!float", "!!set {a}", "!custom x", "2026-02-30", "2026-02-30T20:00", "9" * 400, "1.0e+400", ".inf",
    "-.inf", ".nan", "A" * 300, "? [a, b]\n: c\n", "[" * 1000, "{a: " * 300, BOMB, '"a\\nb": c\n',
    '"\\ud800"', '"\\x00"', "0x_", "=", "<<", "~", "? ", ": ", "- ", "|\n", ">-\n", "%YAML 1.1\n---\n",
    "---\n", "...\n", "#", "'", '"', "{", "}", "[", "]", ",", "&", "*", "!", "@", "`",
]
VALUES = [
    ".inf", "-.inf", ".nan", "nan", "1.0e+400", "99999999999999999999", "-1", "0", "6", "3.5", "true",
    "null", "~", "''", "[]", "{}", "*x", "&x 5", "2026-02-30", "2026-02-30T20:00", "!!timestamp tomorrow",
    "H+99999999d", "H-1d", "9999-12-31T23:59", "1969-12-31T23:00", "1d", "0m", "400d", "0x_", "=", "<<",
    '"\\ud800"', "A" * 300, "Europe/Paris", "UTC", "rm", "deploy", "[deploy, deploy]", "[rm, qa, tech]",
    "!!python/object:os.system x", "? [a]", "|\n  text", '"a\\nb"', "1:30", "2026-11-24 20:00:00 +14:00",
]
SPECIAL = [*list("\x00\x01\t\n\r :-[]{}&*!|>'\"#%@`,?<=~\\"), "\x85", "\u2028", "\u202e", "é", "😀"]


@st.composite
def mutated(draw) -> str:
    text = SMALL
    for _ in range(draw(st.integers(1, 4))):
        operation = draw(st.sampled_from(["insert", "replace", "delete", "splice", "line", "value"]))
        at = draw(st.integers(0, len(text)))
        rows = text.split("\n")
        row = draw(st.integers(0, len(rows) - 1))
        if operation == "insert":
            text = text[:at] + draw(st.sampled_from(SPECIAL) | st.characters(exclude_categories=("Cs",))) + text[at:]
        elif operation == "replace":
            text = text[:at] + draw(st.sampled_from(SPECIAL)) + text[at + 1:]
        elif operation == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 40)):]
        elif operation == "splice":
            fragment = draw(st.sampled_from(FRAGMENTS))
            if draw(st.booleans()):
                rows.insert(row, " " * draw(st.sampled_from([0, 2, 4])) + fragment.rstrip("\n"))
                text = "\n".join(rows)
            else:
                text = text[:at] + fragment + text[at:]
        elif operation == "line":
            how = draw(st.sampled_from(["drop", "repeat", "swap", "indent", "dedent"]))
            other = draw(st.integers(0, len(rows) - 1))
            if how == "drop":
                del rows[row]
            elif how == "repeat":
                rows.insert(row, rows[row])
            elif how == "swap":
                rows[row], rows[other] = rows[other], rows[row]
            elif how == "indent":
                rows[row] = "  " + rows[row]
            else:
                rows[row] = rows[row][2:]
            text = "\n".join(rows)
        else:
            valued = [i for i, line in enumerate(rows) if ": " in line and not line.lstrip().startswith("#")]
            if valued:
                i = draw(st.sampled_from(valued))
                rows[i] = rows[i][:rows[i].index(": ") + 2] + draw(st.sampled_from(VALUES))
                text = "\n".join(rows)
    return text


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(text=mutated())
def test_mutated_plans_are_refused_with_located_lines_or_accepted_by_init(text):
    found = judge(text)  # None: plan check and init both accepted it
    event("accepted" if found is None else "refused")
    assert found is None or all(SHAPE.match(line) for line in found), found


@pytest.mark.parametrize("bad_id", ['"prepare\\nsteps: 99 done"', '"prepare\\u200b"', '"pre pare"', '"pre\\e[2Jpare"'])
def test_an_id_is_visible_characters_without_spaces(bad_id):
    found = refused(edit("  - id: prepare\n", f"  - id: {bad_id}\n"))
    assert any("steps[0].id: an id is visible characters without spaces" in line for line in found), found
