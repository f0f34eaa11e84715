"""Console fixtures: the demo day replayed up to a fixed minute."""
from __future__ import annotations

import asyncio
import inspect
from pathlib import Path

import pytest

from warroom import demo_day
from warroom.domain import timefmt
from warroom.store import store

from .helpers import NOW

AFTER_MINUTE = 21_000  # two weeks after go-live


@pytest.fixture
def demo_path(tmp_path: Path, monkeypatch) -> Path:
    """The demo day replayed up to NOW, every event recorded at NOW (stable snapshots)."""
    path = tmp_path / "demo.db"
    monkeypatch.setattr(timefmt, "now_ms", lambda: NOW)
    monkeypatch.setattr(store, "os_login", lambda: "scribe")  # the same on every machine
    demo_day.create_demo(path, "Léo Petitjean", now=NOW)
    monkeypatch.undo()
    return path


@pytest.fixture
def after_demo_path(tmp_path: Path, monkeypatch) -> Path:
    """The demo two weeks on (H+21000 min): check steps re-tested, follow-ups open, done and overdue."""
    path = tmp_path / "after.db"
    monkeypatch.setattr(timefmt, "now_ms", lambda: NOW)
    monkeypatch.setattr(store, "os_login", lambda: "scribe")
    demo_day.create_demo(path, "Léo Petitjean", now=NOW, minute=AFTER_MINUTE)
    monkeypatch.undo()
    return path


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """Run `async def` console tests in a fresh event loop (no asyncio plugin needed)."""
    if inspect.iscoroutinefunction(pyfuncitem.obj):
        names = pyfuncitem._fixtureinfo.argnames
        asyncio.run(pyfuncitem.obj(**{name: pyfuncitem.funcargs[name] for name in names}))
        return True
    return None
