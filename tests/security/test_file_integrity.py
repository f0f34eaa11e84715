"""The war room file stays the war room: a console notices when its path names another file or
its -wal is deleted, and stops recording (issue items 1-3); `init --force` does not pull the
file from under people who have it open; the `-lock` file and `export --out` never follow a
symlink or replace a device; damaged or unreachable files are told as such.

Real files, real processes: the CLI runs as a subprocess, the console in tmux or in-process
against files that other processes change; sharing is tested with real Unix users (created
with useradd when running as root; skipped otherwise)."""
from __future__ import annotations

import asyncio
import contextlib
import grp
import os
import pwd
import shlex
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import warroom.cli
import warroom.cli.export
import warroom.plan.loader
import warroom.store.rebuild
from warroom.store import commands, lock
from warroom.store.feed import ChangeFeed
from warroom.store.store import Store

ROOT = os.geteuid() == 0
TEAM, MEMBERS, OUTSIDER = "warroom-team", ("warroom-ana", "warroom-bob"), "warroom-cy"
needs_root = pytest.mark.skipif(not ROOT, reason="needs root: creates Unix users, mounts, device nodes")


# -- helpers: the CLI, other users, tmux -----------------------------------------------------
def cli(db: Path, *args: str, timeout: float = 60, who: str = "Alice Martin") -> subprocess.CompletedProcess:
    """`warroom --db DB ARGS` in a process of its own."""
    return subprocess.run([sys.executable, "-m", "warroom", "--db", str(db), "--as", who, *args],
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def events(db: Path) -> list[tuple]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT id, action, payload FROM events ORDER BY id").fetchall()
    finally:
        conn.close()


def notes(db: Path) -> list[str]:
    return [payload for _, action, payload in events(db) if action == "note"]


def _ensure_user(name: str, groups: tuple[str, ...] = ()) -> pwd.struct_passwd:
    if subprocess.run(["id", name], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
                       check=True, capture_output=True)
    for group in groups:
        subprocess.run(["usermod", "-aG", group, name], check=True, capture_output=True)
    return pwd.getpwnam(name)


@pytest.fixture(scope="module")
def team() -> dict[str, pwd.struct_passwd]:
    """Two members of one Unix group and somebody outside it (real users, made if missing)."""
    if not ROOT:
        pytest.skip("needs root to create the second Unix user (useradd)")
    if shutil.which("useradd") is None:
        pytest.skip("useradd is not installed")
    if subprocess.run(["getent", "group", TEAM], capture_output=True).returncode != 0:
        subprocess.run(["groupadd", TEAM], check=True, capture_output=True)
    users = {name: _ensure_user(name, (TEAM,)) for name in MEMBERS}
    users[OUTSIDER] = _ensure_user(OUTSIDER)
    return users


@pytest.fixture
def shared(team) -> Iterator[Path]:
    """The team's directory, as the README sets it up: group-owned, setgid, 2770."""
    directory = Path(tempfile.mkdtemp(prefix="warroom-shared-", dir="/tmp"))
    os.chown(directory, 0, grp.getgrnam(TEAM).gr_gid)
    os.chmod(directory, 0o2770)
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _groups(user: pwd.struct_passwd) -> list[int]:
    return sorted({user.pw_gid} | {g.gr_gid for g in grp.getgrall() if user.pw_name in g.gr_mem})


def as_user(user: pwd.struct_passwd, fn: Callable[..., int | None], *args) -> tuple[int, str, str]:
    """fn(*args) in a forked process that runs as `user` (umask 007), with warroom already
    loaded (the interpreter may sit where that user cannot reach): (status, stdout, stderr)."""
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child
        code = 98
        with contextlib.ExitStack() as streams:  # never left: the child ends in os._exit
            try:
                os.dup2(out_w, 1)
                os.dup2(err_w, 2)
                sys.stdout = streams.enter_context(open(1, "w", closefd=False))
                sys.stderr = streams.enter_context(open(2, "w", closefd=False))
                os.setgroups(_groups(user))
                os.setgid(user.pw_gid)
                os.setuid(user.pw_uid)
                os.umask(0o007)
                code = fn(*args) or 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            except BaseException:
                traceback.print_exc()
                code = 99
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
    os.close(out_w)
    os.close(err_w)
    output: dict[int, bytes] = {}

    def drain(fd: int) -> None:
        with open(fd, "rb") as stream:
            output[fd] = stream.read()
    readers = [threading.Thread(target=drain, args=(fd,)) for fd in (out_r, err_r)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join(60)
    status = os.waitstatus_to_exitcode(os.waitpid(child, 0)[1])
    return status, output.get(out_r, b"").decode(), output.get(err_r, b"").decode()


def run_cli(*argv: str) -> int:
    """The `warroom` command line, inside a process made by as_user."""
    warroom.cli.main(list(argv), prog_name="warroom")
    return 0


@contextmanager
def holding_open(db: Path, user: pwd.struct_passwd | None = None) -> Iterator[int]:
    """Another process that has the war room open (as `user`, or as this one's) until the end
    of the block; yields its pid."""
    ready_r, ready_w = os.pipe()
    stop_r, stop_w = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child
        code = 1
        try:
            os.close(ready_r)
            os.close(stop_w)
            if user is not None:
                os.setgroups(_groups(user))
                os.setgid(user.pw_gid)
                os.setuid(user.pw_uid)
            with Store(db, "holder"):
                os.write(ready_w, b"open")
                os.read(stop_r, 1)
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    os.close(ready_w)
    os.close(stop_r)
    try:
        assert os.read(ready_r, 4) == b"open", "the holder could not open the war room"
        yield child
    finally:
        os.close(stop_w)
        os.close(ready_r)
        os.waitpid(child, 0)


class Tmux:
    """A console in a real terminal (tmux, on a server of its own), its screen and its exit."""

    def __init__(self, tmp: Path, command: list[str], size: str = "80x24"):
        if shutil.which("tmux") is None:
            pytest.skip("tmux is not installed")
        self.socket, self.status = str(tmp / f"tmux-{uuid.uuid4().hex[:8]}"), tmp / "exit-status"
        width, height = size.split("x")
        # the console draws on its standard error: it stays on the terminal, read from the pane
        shell = f"{shlex.join(command)}; echo $? > {shlex.quote(str(self.status))}; sleep 600"
        self.tmux("new-session", "-d", "-s", "console", "-x", width, "-y", height, "-c", str(tmp), shell)

    def tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-S", self.socket, *args], capture_output=True, text=True, check=True).stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "console")

    def history(self) -> str:
        """Everything the terminal showed since the console ended, scrollback included."""
        return self.tmux("capture-pane", "-p", "-J", "-S", "-500", "-t", "console")

    def keys(self, *keys: str, literal: bool = False) -> None:
        self.tmux("send-keys", "-t", "console", *(["-l"] if literal else []), *keys)

    def wait_for(self, condition: Callable[[], bool], what: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}; the screen:\n{self.screen()}")
            time.sleep(0.1)

    def exit_status(self, timeout: float = 20) -> int:
        self.wait_for(lambda: self.status.exists() and self.status.read_text().strip() != "",
                      "the console did not exit", timeout)
        return int(self.status.read_text())

    def close(self) -> None:
        subprocess.run(["tmux", "-S", self.socket, "kill-server"], capture_output=True)
        Path(self.socket).unlink(missing_ok=True)


def run_async(coroutine) -> None:
    asyncio.run(coroutine)


def second_room(tmp_path: Path, name: str = "other.db") -> Path:
    path = tmp_path / name
    result = cli(path, "init", "--demo")
    assert result.returncode == 0, result.stderr
    return path


# -- 1. a console keeps to the file it opened --------------------------------------------
def test_a_console_stops_recording_when_init_force_replaces_its_file(db_path):
    """`init --force` (told twice) while a console is open: the console said nothing and went
    on recording into the `.bak`. Now it says so in its top bar and records nowhere."""
    from warroom.app import WarRoomApp
    from warroom.widgets.form import FormScreen

    from ..tui.helpers import ready, settle, type_into, until

    async def scenario() -> None:
        app = WarRoomApp(db_path, "Alice Martin")
        async with app.run_test(size=(80, 24)) as pilot:
            await ready(pilot)
            replaced = await asyncio.to_thread(cli, db_path, "init", "--demo", "--force", "--force")
            assert replaced.returncode == 0, replaced.stderr
            await pilot.pause(0.5)  # several polls
            await pilot.press("n")
            if isinstance(app.screen, FormScreen):
                await type_into(pilot, "#field-text", "typed after the file was replaced")
                await pilot.press("enter")
            await settle(pilot)
            (aside,) = [p for p in db_path.parent.iterdir() if p.name.endswith(".bak")]
            assert notes(aside) == [] and notes(db_path) == [], \
                "the note was recorded into a file that is no longer the war room"
            await until(pilot, lambda: "NOT RECORDING" in app.header(app.now(), 80).plain)
            assert "replaced" in app.header(app.now(), 80).plain
            app.write(commands.note, "and through the write path")
            await settle(pilot)
            assert notes(aside) == [] and notes(db_path) == []
    run_async(scenario())


def test_a_console_whose_wal_is_deleted_stops_and_saves_what_it_still_sees(db_path):
    """Deleting `-wal` under an open console loses acknowledged writes for whoever opens the
    file next. The console stops recording, says so, and saves a copy of what it still sees."""
    from warroom.app import WarRoomApp

    from ..tui.helpers import ready, settle, until

    async def scenario() -> None:
        app = WarRoomApp(db_path, "Alice Martin")
        async with app.run_test(size=(80, 24)) as pilot:
            await ready(pilot)
            for text in ("acknowledged 1", "acknowledged 2"):
                done = await asyncio.to_thread(cli, db_path, "note", text)
                assert done.returncode == 0, done.stderr
            await until(pilot, lambda: app.room.last_id == 3)
            Path(f"{db_path}-wal").unlink()
            await until(pilot, lambda: getattr(app, "trouble", None) is not None)
            assert "NOT RECORDING" in app.header(app.now(), 80).plain and "-wal" in app.header(app.now(), 80).plain
            app.write(commands.note, "not after that")
            await until(pilot, lambda: app.rescued is not None)
            await settle(pilot)
            assert [n for n in notes(app.rescued) if "acknowledged" in n] and len(notes(app.rescued)) == 2
    run_async(scenario())


@pytest.mark.parametrize("change", ["renamed over", "moved away"])
def test_a_console_survives_its_file_being_renamed_over_or_moved_and_exits_non_zero(tmp_path, db_path, change):
    """A file renamed over the open one, or the file moved away: the console crashed with a
    traceback and exit status 0 (or carried on). It now keeps running, says it stopped
    recording in its top bar, records nothing, and exits non-zero."""
    other = second_room(tmp_path)
    console = Tmux(tmp_path, [sys.executable, "-m", "warroom", "--db", str(db_path), "--as", "Alice Martin"])
    try:
        console.wait_for(lambda: "Runbook" in console.screen(), "the console did not start")
        if change == "renamed over":
            os.replace(other, db_path)
        else:
            os.replace(db_path, tmp_path / "elsewhere.db")
        console.wait_for(lambda: "NOT RECORDING" in console.screen(), "the top bar does not say it stopped recording")
        top = console.screen().splitlines()[0]
        assert top.startswith(" NOT RECORDING"), top
        console.keys("n")
        time.sleep(0.7)
        if "Add a note" in console.screen():  # only where the form opens: other keys are commands
            console.keys("typed after the change", literal=True)
            console.keys("Enter")
            time.sleep(1)
        console.keys("Escape")
        time.sleep(0.3)
        console.keys("q")
        status = console.exit_status()
        stderr = console.history()
    finally:
        console.close()
    assert status != 0, "a console that stopped recording must exit non-zero"
    assert "Traceback" not in stderr and "stopped recording" in stderr, stderr
    for candidate in (db_path, tmp_path / "elsewhere.db"):
        if candidate.exists():
            assert not any("typed after the change" in n for n in notes(candidate))


def test_a_failing_poll_is_shown_in_the_top_bar_and_the_console_stays(db_path):
    from warroom.app import WarRoomApp

    from ..tui.helpers import ready, until

    async def scenario() -> None:
        app = WarRoomApp(db_path, "Alice Martin")
        async with app.run_test(size=(80, 24)) as pilot:
            await ready(pilot)
            changed = app.feed.changed

            def broken() -> bool:
                raise sqlite3.OperationalError("disk I/O error")
            app.feed.changed = broken
            await until(pilot, lambda: "POLL FAILED" in app.header(app.now(), 80).plain)
            assert app.is_running
            app.feed.changed = changed
            await until(pilot, lambda: "POLL FAILED" not in app.header(app.now(), 80).plain)
    run_async(scenario())


def test_init_force_is_refused_while_another_user_has_the_room_open(team, shared):
    """`init --force` moved the file from under an open console. Now it is refused, naming who
    has the file open (pid and login), unless --force is given twice."""
    db = shared / "checkout.db"
    assert cli(db, "init", "--demo").returncode == 0
    before = os.stat(db).st_ino
    bob = team["warroom-bob"]
    with holding_open(db, bob) as pid:
        assert lock.holders(db) == [f"pid {pid} (warroom-bob)"]
        refused = cli(db, "init", "--demo", "--force")
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert f"pid {pid} (warroom-bob)" in refused.stderr and "--force twice" in refused.stderr
        assert os.stat(db).st_ino == before and not list(shared.glob("*.bak"))
        insisted = cli(db, "init", "--demo", "--force", "--force")
        assert insisted.returncode == 0, insisted.stderr
        assert os.stat(db).st_ino != before and len(list(shared.glob("*.bak"))) == 1
    assert lock.holders(db) == []


def test_nobody_holding_the_room_open_lets_init_force_through(db_path):
    with holding_open(db_path) as pid:
        assert lock.holders(db_path) == [lock.describe_pid(pid)]
    assert lock.holders(db_path) == []
    replaced = cli(db_path, "init", "--demo", "--force")
    assert replaced.returncode == 0, replaced.stderr


# -- 2. the -lock file, export --out, a failed init --------------------------------------
def test_a_symlinked_lock_file_is_never_followed_nor_chmod_ed(tmp_path, db_path):
    """As root, `-lock` -> any file made that file 0660 (and created it when missing)."""
    secret = tmp_path / "secret"
    secret.write_text("private")
    secret.chmod(0o600)
    lock_file = Path(f"{db_path}-lock")
    lock_file.unlink(missing_ok=True)
    lock_file.symlink_to(secret)
    result = cli(db_path, "note", "through a planted symlink")
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600 and secret.read_text() == "private"
    assert result.returncode == 2 and "symbolic link" in result.stderr, result.stderr
    assert lock_file.is_symlink()
    dangling = tmp_path / "made-by-warroom"
    lock_file.unlink()
    lock_file.symlink_to(dangling)
    assert cli(db_path, "note", "again").returncode == 2
    assert not dangling.exists()


def test_a_member_cannot_make_another_members_private_file_readable_by_the_group(team, shared):
    """Ana (in the group) plants `-lock` -> Bob's private file; Bob records something."""
    ana, bob = team["warroom-ana"], team["warroom-bob"]
    db = shared / "checkout.db"
    assert cli(db, "init", "--demo").returncode == 0
    private = shared / "bob-private"
    assert as_user(bob, lambda: private.write_text("bob's eyes only") and os.chmod(private, 0o600))[0] == 0
    lock_file = Path(f"{db}-lock")
    lock_file.unlink(missing_ok=True)
    assert as_user(ana, lambda: os.symlink(private, lock_file))[0] == 0
    status, _, stderr = as_user(bob, run_cli, "--db", str(db), "--as", "Bob", "note", "hello")
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert status == 2 and "symbolic link" in stderr, stderr
    assert as_user(ana, lambda: print(private.read_text()))[0] != 0  # still closed to Ana


def test_a_symlinked_path_and_the_real_one_share_one_writers_queue(tmp_path, db_path):
    link = tmp_path / "link.db"
    link.symlink_to(db_path)
    assert lock.WriterQueue(link).lock_path == lock.WriterQueue(db_path).lock_path == Path(f"{db_path}-lock")
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from warroom.store.store import Store\n"
        f"s = Store({str(db_path)!r}, 'x')\n"
        "with s._turn:\n"
        "    print('holding', flush=True); time.sleep(1.5)\n")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        started = time.monotonic()
        result = cli(link, "note", "waits its turn")
        waited = time.monotonic() - started
    finally:
        holder.wait(30)
    assert result.returncode == 0, result.stderr
    assert waited > 0.8, "a writer through the symlink did not wait for the one holding the real file's turn"
    assert not Path(f"{link}-lock").exists()


def test_an_existing_lock_file_is_never_chmod_ed_and_a_new_one_is_0660(tmp_path, db_path):
    lock_file = Path(f"{db_path}-lock")
    lock_file.unlink(missing_ok=True)
    assert cli(db_path, "note", "makes the lock").returncode == 0
    assert stat.S_IMODE(lock_file.stat().st_mode) == 0o660
    lock_file.chmod(0o600)
    assert cli(db_path, "note", "uses the lock").returncode == 0
    assert stat.S_IMODE(lock_file.stat().st_mode) == 0o600


def test_a_fifo_at_the_lock_path_is_refused(tmp_path, db_path):
    lock_file = Path(f"{db_path}-lock")
    lock_file.unlink(missing_ok=True)
    os.mkfifo(lock_file)
    result = cli(db_path, "note", "x", timeout=20)
    assert result.returncode == 2 and "FIFO" in result.stderr, result.stderr
    assert stat.S_ISFIFO(os.lstat(lock_file).st_mode)


def test_export_force_replaces_only_a_regular_file(tmp_path, db_path):
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    link = tmp_path / "report.md"
    link.symlink_to(target)
    refused = cli(db_path, "export", "--out", str(link), "--force")
    assert refused.returncode == 2 and "symbolic link" in refused.stderr, refused.stderr
    assert link.is_symlink() and target.read_text() == "keep me"
    dangling = tmp_path / "dangling.md"
    dangling.symlink_to(tmp_path / "nowhere")
    assert cli(db_path, "export", "--out", str(dangling)).returncode == 2
    assert dangling.is_symlink()
    fifo = tmp_path / "fifo.md"
    os.mkfifo(fifo)
    refused = cli(db_path, "export", "--out", str(fifo), "--force", timeout=30)
    assert refused.returncode == 2 and "FIFO" in refused.stderr and stat.S_ISFIFO(os.lstat(fifo).st_mode)
    regular = tmp_path / "old-report.md"
    regular.write_text("old")
    assert cli(db_path, "export", "--out", str(regular), "--force").returncode == 0
    assert regular.read_text().startswith("#")


@needs_root
def test_export_force_never_replaces_a_device_node(tmp_path, db_path):
    device = tmp_path / "null"
    os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    refused = cli(db_path, "export", "--out", str(device), "--force")
    assert refused.returncode == 2 and "character device" in refused.stderr, refused.stderr
    assert stat.S_ISCHR(os.lstat(device).st_mode)


@contextmanager
def small_filesystem(tmp_path: Path, size: str) -> Iterator[Path]:
    point = tmp_path / "mnt"
    point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], capture_output=True)


@needs_root
def test_a_failed_init_removes_the_file_it_created(tmp_path):
    """A full disk in the middle of `init`: the half-made file blocked the next `init`."""
    with small_filesystem(tmp_path, "96k") as disk:
        db = disk / "checkout.db"
        failed = cli(db, "init", "--demo")
        assert failed.returncode != 0
        assert "Traceback" not in failed.stderr, failed.stderr
        assert not db.exists(), "a failed init left its half-made file behind"
        assert not Path(f"{db}-wal").exists() and not Path(f"{db}-shm").exists()


def test_a_failed_init_never_removes_a_file_it_did_not_create(tmp_path):
    from warroom.store.db import new_room, remove_created

    theirs = tmp_path / "theirs.db"
    theirs.write_bytes(b"someone else's")
    with pytest.raises(RuntimeError), new_room(theirs):
        raise RuntimeError("init failed")
    assert theirs.read_bytes() == b"someone else's" and remove_created(theirs) is False


# -- 3. damaged or unreachable files are told as such ------------------------------------
def damage(db: Path, table: str = "events") -> None:
    """Zero a table's root page, as a failing disk would."""
    with Store(db, "x") as store:
        for i in range(200):
            commands.note(store, f"note {i} " + "x" * 200)
        store.checkpoint()
        page_size = store.conn.execute("PRAGMA page_size").fetchone()[0]
        root = store.conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    with open(db, "r+b") as f:
        f.seek((root - 1) * page_size)
        f.write(b"\x00" * page_size)


def test_a_damaged_file_says_so_and_points_to_verify(db_path):
    damage(db_path)
    for command in (["export"], ["note", "x"], ["export", "--format", "json"]):
        result = cli(db_path, *command)
        assert result.returncode != 0
        assert "damaged" in result.stderr and f"warroom --db {db_path} verify" in result.stderr, result.stderr
        assert "not a war room" not in result.stderr


def test_verify_on_a_damaged_file_prints_integrity_checks_lines(db_path):
    damage(db_path)
    result = cli(db_path, "verify")
    assert result.returncode == 1
    lines = [line for line in result.stdout.splitlines() if line.startswith("integrity_check: ")]
    assert any("Page " in line or "table events" in line for line in lines), result.stdout + result.stderr
    assert "BROKEN" in result.stdout


def test_a_damaged_schema_page_is_damage_not_another_application(db_path):
    with open(db_path, "r+b") as f:
        f.seek(100)
        f.write(b"\xa5" * 3000)
    result = cli(db_path, "status")
    assert result.returncode != 0, result.stdout
    assert "damaged" in result.stderr and "not a war room" not in result.stderr, result.stderr


def test_a_fifo_or_a_device_at_the_path_is_refused_not_waited_on(tmp_path):
    fifo = tmp_path / "fifo.db"
    os.mkfifo(fifo)
    try:
        result = cli(fifo, "status", timeout=20)
    except subprocess.TimeoutExpired:
        pytest.fail("warroom waited on a FIFO")
    assert result.returncode == 2 and "FIFO" in result.stderr, result.stderr
    if ROOT:
        device = tmp_path / "zero.db"
        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 5))
        result = cli(device, "status", timeout=20)
        assert result.returncode == 2 and "character device" in result.stderr, result.stderr


@needs_root
def test_a_read_only_filesystem_is_named(tmp_path):
    with small_filesystem(tmp_path, "8m") as disk:
        db = disk / "checkout.db"
        assert cli(db, "init", "--demo").returncode == 0
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        for command in (["status"], ["note", "x"]):
            result = cli(db, *command)
            assert result.returncode != 0
            assert "read-only filesystem" in result.stderr and "not a war room" not in result.stderr, result.stderr


def test_a_member_without_permission_on_the_wal_is_told_the_group_and_the_setgid_recipe(team, shared):
    """The -wal and -shm belong to a group the member is not in (made before the file's group
    was set): "not a war room (unable to open database file)" said nothing useful."""
    db = shared / "checkout.db"
    assert cli(db, "init", "--demo").returncode == 0
    with holding_open(db):  # keeps -wal and -shm there
        for suffix in ("-wal", "-shm"):
            os.chown(f"{db}{suffix}", 0, 0)
            os.chmod(f"{db}{suffix}", 0o640)
        status, _, stderr = as_user(team["warroom-bob"], run_cli, "--db", str(db), "--as", "Bob", "status")
    assert status == 2, stderr
    assert "permission denied" in stderr and "warroom-bob" in stderr and f"chgrp {TEAM}" in stderr, stderr
    assert "chmod 2770" in stderr and "not a war room" not in stderr


def test_someone_outside_the_group_is_told_to_join_it(team, shared):
    db = shared / "checkout.db"
    assert cli(db, "init", "--demo").returncode == 0
    status, _, stderr = as_user(team[OUTSIDER], run_cli, "--db", str(db), "--as", "Cy", "status")
    assert status == 2, stderr
    assert f"usermod -aG {TEAM} {OUTSIDER}" in stderr and "chmod 2770" in stderr, stderr


def test_a_directory_where_sqlite_cannot_create_the_wal_is_named(team, shared):
    closed = shared / "closed"
    closed.mkdir()
    db = closed / "checkout.db"
    assert cli(db, "init", "--demo").returncode == 0
    os.chmod(closed, 0o755)  # the file is the group's; the directory is not
    os.chown(closed, 0, 0)
    os.chmod(db, 0o666)
    assert not Path(f"{db}-wal").exists()
    status, _, stderr = as_user(team["warroom-bob"], run_cli, "--db", str(db), "--as", "Bob", "status")
    assert status == 2, stderr
    assert "may not create files in its directory" in stderr and "-wal" in stderr, stderr
    assert "not a war room" not in stderr


def test_the_feed_knows_the_file_it_opened(tmp_path, db_path):
    feed = ChangeFeed(db_path)
    try:
        assert feed.trouble() is None
        second_room(tmp_path, "next.db").replace(db_path)
        assert "replaced" in feed.trouble().short
    finally:
        feed.close()


@needs_root
def test_a_full_disk_during_export_out_is_one_line_and_leaves_no_half_report(tmp_path, db_path):
    with small_filesystem(tmp_path, "64k") as disk:
        with open(disk / "fill", "wb") as fill, contextlib.suppress(OSError):
            fill.write(b"\0" * 1_000_000)  # the disk is full
        out = disk / "report.html"
        refused = cli(db_path, "export", "--format", "html", "--out", str(out))
        assert refused.returncode == 1 and refused.stderr == "warroom: No space left on device\n", refused.stderr
        assert sorted(p.name for p in disk.iterdir()) == ["fill"]
