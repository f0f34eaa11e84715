"""The house's rules, checked: the layers and acyclic packages that pyproject.toml's import
contracts state, and no Textual or Rich behind any command or module that draws nothing."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import warroom

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = Path(warroom.__file__).parent
# what draws: the console's App, its screens and widgets, and what they stand on
CONSOLE = ("app", "screens", "widgets", "console")
# textual-serve logs through Rich: the server that runs consoles in browser tabs loads it
SERVES_CONSOLES = {("serve", "app"), ("serve", "console")}
PROBE = "import importlib, sys; importlib.import_module(sys.argv[1]); " \
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'textual', 'rich'}))"


def headless_modules() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[0] in CONSOLE or parts == ("__main__",) or parts in SERVES_CONSOLES:
            continue
        found.append(".".join(("warroom", *parts)).removesuffix(".__init__"))
    return found


def test_the_import_contracts_hold():
    done = subprocess.run([str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "3 kept, 0 broken" in done.stdout


def test_every_headless_module_loads_without_textual_or_rich():
    """Each in a fresh process, so that nothing another module loaded hides it."""
    modules = headless_modules()
    assert {"warroom.cli", "warroom.cli.record", "warroom.export.write", "warroom.store.store",
            "warroom.domain.reducer", "warroom.errors"} <= set(modules)
    running = {m: subprocess.Popen([sys.executable, "-c", PROBE, m], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True) for m in modules}
    loaded = {m: p.communicate() for m, p in running.items()}
    failed = {m: err.strip().splitlines()[-1:] for m, (out, err) in loaded.items() if out.strip() != "[]"}
    assert failed == {}


@pytest.mark.parametrize("module", ["warroom.screens.base", "warroom.widgets.text"])
def test_the_probe_sees_textual_where_it_is(module):
    """The check above would pass vacuously if the probe could not see Textual at all."""
    out = subprocess.run([sys.executable, "-c", PROBE, module], capture_output=True, text=True, check=True).stdout
    assert "rich" in out


@pytest.mark.parametrize("module", ["warroom.cli", "warroom.app"])
def test_the_command_line_and_the_console_start_without_pydantic_or_yaml(module):
    """They load when a command reads a plan or validates typed input: a script's `warroom
    step done` and a console's first frame do not wait for them (bench/startup.py)."""
    probe = ("import importlib, sys; importlib.import_module(sys.argv[1]); "
             "print(sorted({m.split('.')[0] for m in sys.modules} & {'pydantic', 'yaml', 'sqlite_utils'}))")
    out = subprocess.run([sys.executable, "-c", probe, module], capture_output=True, text=True, check=True).stdout
    assert out == "[]\n"
