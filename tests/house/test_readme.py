"""The README's tables are the house's reference, checked both ways: its Commands table against
the click commands, its console key tables against the app's and each screen's bindings.

Conventions the tables may use (and nothing else):
- a command row's first cell is a code span that starts with the command's path (`warroom
  incident open TITLE ...`); the path ends at the first word that is not a subcommand;
- keys are code spans in the key column: written as Textual names them (`tab`, `ctrl+s`, `F`)
  or as the binding's key_display (`?`, `/`); `1` … `6` stands for every key in the range;
- a binding or command that is not shown (Binding show=False, or no description; a hidden
  command) may be documented but is not required; neither is the bare `warroom` group;
- Textual's command palette key is documented with the app's keys, though it is no binding.
"""
from __future__ import annotations

import re
from pathlib import Path

import click

README = Path(__file__).resolve().parents[2] / "README.md"
CODE = re.compile(r"`([^`]+)`")
RANGE = re.compile(r"`(\w)`\s*(?:…|\.\.\.)\s*`(\w)`")
CELL_BORDER = re.compile(r"(?<!\\)\|")


# -- the README's tables ---------------------------------------------------------------------
def tables(text: str) -> list[tuple[str, list[str], list[list[str]]]]:
    """Every table outside code blocks: (the heading above it, its header, its rows of cells)."""
    found: list[tuple[str, list[str], list[list[str]]]] = []
    heading, fenced, current = "", False, None
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        if fenced or line.startswith("    "):
            current = None
            continue
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        if not line.startswith("|"):
            current = None
            continue
        cells = [cell.strip().replace("\\|", "|") for cell in CELL_BORDER.split(line.strip()[1:-1])]
        if current is None:
            current = (heading, cells, [])
            found.append(current)
        elif not all(re.fullmatch(r":?-+:?", cell) for cell in cells):
            current[2].append(cells)
    return found


def table(header: list[str], heading: str | None = None) -> list[dict[str, str]]:
    """The one table with this header (under this heading), its rows keyed by column."""
    matching = [rows for (above, head, rows) in tables(README.read_text(encoding="utf-8"))
                if head == header and heading in (None, above)]
    assert len(matching) == 1, f"README.md: expected one table {header} under {heading!r}, found {len(matching)}"
    return [dict(zip(header, row, strict=True)) for row in matching[0]]


def keys_in(cell: str) -> list[str]:
    """The keys a cell names: its code spans, `1` … `6` read as every key from 1 to 6."""
    cell = RANGE.sub(lambda m: " ".join(f"`{chr(c)}`" for c in range(ord(m[1]), ord(m[2]) + 1)), cell)
    return CODE.findall(cell)


# -- the commands ----------------------------------------------------------------------------
def command_tree() -> dict[str, click.Command]:
    from warroom.cli import main

    found: dict[str, click.Command] = {}

    def walk(command: click.Command, path: str) -> None:
        found[path] = command
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                walk(sub, f"{path} {name}")

    walk(main, "warroom")
    return found


def command_path(synopsis: str, tree: dict[str, click.Command]) -> str:
    """`warroom incident open TITLE --sev N` -> `warroom incident open`; a word where a
    subcommand should be that is none (`warroom frobnicate X`) stays in the path."""
    words = synopsis.split()
    path = words[0]
    for word in words[1:]:
        if not (isinstance(tree.get(path), click.Group) and re.fullmatch(r"[a-z][a-z0-9-]*", word)):
            break
        path = f"{path} {word}"
    return path


def documented_commands() -> list[tuple[str, str]]:
    """(path, synopsis) of every command the Commands table names, row by row."""
    tree = command_tree()
    named = []
    for row in table(["command", "what it does"], "Commands"):
        synopses = [code for code in CODE.findall(row["command"]) if code.split()[:1] == ["warroom"]]
        assert synopses, f"README.md Commands table: the row {row['command']!r} names no `warroom ...` command"
        named += [(command_path(synopsis, tree), synopsis) for synopsis in synopses]
    return named


def test_every_command_has_a_row_in_the_commands_table():
    tree = command_tree()
    required = {path for path, command in tree.items() if path != "warroom" and not command.hidden}
    documented = [path for path, _ in documented_commands()]
    missing = sorted(required - set(documented))
    assert not missing, f"README.md Commands table has no row for: {', '.join(missing)}"
    twice = sorted({path for path in documented if documented.count(path) > 1})
    assert not twice, f"README.md Commands table has more than one row for: {', '.join(twice)}"


def test_every_row_of_the_commands_table_is_a_command():
    tree = command_tree()
    unknown = sorted({path for path, _ in documented_commands() if path not in tree})
    assert not unknown, f"README.md Commands table names commands that do not exist: {', '.join(unknown)}"


def test_the_options_in_the_commands_table_exist():
    tree = command_tree()
    everywhere = {opt for param in tree["warroom"].params for opt in param.opts}
    wrong = []
    for path, synopsis in documented_commands():
        if path not in tree:
            continue  # named by the test above
        real = everywhere | {opt for param in tree[path].params for opt in (*param.opts, *param.secondary_opts)}
        wrong += [f"{path} {opt}" for opt in re.findall(r"(?<![\w-])--[a-z][a-z-]*", synopsis) if opt not in real]
    assert not wrong, f"README.md Commands table shows options the commands do not have: {', '.join(wrong)}"


# -- the console's keys ----------------------------------------------------------------------
def bindings(cls: type) -> tuple[list, list]:
    """(the bindings a table must document, every binding it may document) of an App or Screen
    class: the shown ones that warroom declares, and all, Textual's own included."""
    from textual.binding import Binding

    required, allowed = [], []
    for klass in cls.__mro__:
        declared = list(Binding.make_bindings(vars(klass).get("BINDINGS", [])))
        allowed += declared
        if klass.__module__.startswith("warroom."):
            required += [binding for binding in declared if binding.show]
    return required, allowed


def canonical(key: str) -> str:
    """A key as Textual binds it: `?` -> question_mark, `/` -> slash, `F` -> F."""
    from textual.binding import Binding

    return next(iter(Binding.make_bindings([(key, "noop", "")]))).key


def spells(written: str, binding) -> bool:
    return written == binding.key_display or canonical(written) == binding.key


def compare(where: str, written: list[str], cls: type, extra: frozenset[str] = frozenset()) -> list[str]:
    """What is wrong between the keys a README cell names and the class's bindings."""
    required, allowed = bindings(cls)
    problems = [f"{where}: the binding `{b.key_display or b.key}` ({b.description}) is not in the README"
                for b in required if not any(spells(key, b) for key in written)]
    problems += [f"{where}: the README names `{key}`, which no binding has"
                 for key in written if key not in extra and not any(spells(key, b) for b in allowed)]
    return problems


def test_the_everywhere_table_is_the_apps_bindings():
    from warroom.app import WarRoomApp

    written = [key for row in table(["key", "everywhere"]) for key in keys_in(row["key"])]
    palette = frozenset({WarRoomApp.COMMAND_PALETTE_BINDING} if WarRoomApp.ENABLE_COMMAND_PALETTE else ())
    problems = compare("README.md keys everywhere", written, WarRoomApp, palette)
    assert not problems, "\n".join(problems)


def test_the_screen_switches_name_the_screens_in_order():
    from warroom.app import WarRoomApp

    rows = [row for row in table(["key", "everywhere"]) if RANGE.search(row["key"])]
    assert len(rows) == 1, "README.md keys everywhere: expected one row for the screen switches (`1` … `6`)"
    shown = {b.key: b.description for b in bindings(WarRoomApp)[0]}
    names = [shown.get(key, f"(no binding `{key}`)") for key in keys_in(rows[0]["key"])]
    assert rows[0]["everywhere"] == ", ".join(names), "README.md: the screen switches name the screens in order"


def screens() -> list[type]:
    from warroom.app import MODE_NAMES, screen_class

    return [screen_class(mode) for mode in MODE_NAMES]


def screen_rows() -> dict[str, str]:
    rows = table(["screen", "what it shows", "keys"])
    return {row["screen"]: row["keys"] for row in rows}


def test_every_screen_has_a_row_and_every_row_is_a_screen():
    titles = [cls.TITLE for cls in screens()]
    rows = screen_rows()
    assert not set(titles) - set(rows), f"README.md screens table has no row for: {sorted(set(titles) - set(rows))}"
    assert not set(rows) - set(titles), f"README.md screens table names no screen: {sorted(set(rows) - set(titles))}"


def test_each_screens_keys_are_its_bindings():
    rows = screen_rows()
    problems = [problem for cls in screens() if cls.TITLE in rows
                for problem in compare(f"README.md keys of {cls.TITLE}", keys_in(rows[cls.TITLE]), cls)]
    assert not problems, "\n".join(problems)
