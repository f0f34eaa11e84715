"""`warroom serve` under load: 8 browser tabs on the console and 50 status-page viewers (SSE
clients) on one war room, while a writer process logs a message to the sponsors audience ~2
times a second. Figures: commit-to-screen p50/p95 in the browser tabs and on the status pages,
memory of each tab's console process, the server's CPU; against the terminal console's
propagation (bench/propagation.py's `measure`, whose functions this reuses), measured in the
same run before the server starts.

    python bench/serve.py [--seconds 60] [--tabs 8] [--viewers 50] [--consoles 8]

Each write is a message `bench write NNNN.` to sponsors: the status pages show the last
message sent to their audience, the console's Timeline (key 6) lists every journal event,
newest first. A write's commit time is the writer's clock right after the write returned.

- Status pages: the viewers are aiohttp streams of /status/sponsors/events in a process of
  their own; a (viewer, write) pair's time is when the first event holding the write's text
  arrived.
- Console tabs: Playwright pages in the system's chromium (one browser, a context per tab,
  each logged in). textual.js draws the terminal with xterm.js's WebGL (or canvas) renderer:
  the text is not in the DOM, and the Terminal object is not exported. A script added before
  the page's own catches it as textual.js assigns it (`this.terminal = new Terminal(...)`, through
  a setter on Object.prototype) and, on xterm's `onRender` (the rows just drawn on the canvas),
  reads those rows from xterm's buffer: a (tab, write) pair's time is when the write's text
  was first drawn in that tab. (`onWriteParsed`, the text in the buffer before it is drawn, is
  noted too, as a cross-check.)
- Memory: VmRSS and VmHWM of each tab's console process (the server's child running warroom,
  a shell that starts `python -m warroom`, and the console itself), at the end of the writes.
  CPU: utime+stime of the server process (and, apart, of its consoles) over the writes.

Goals: status pages p95 < 500 ms with 50 viewers; console tabs p95 < 500 ms at 8 tabs; each
tab's console under 80 MB (its peak, VmHWM).
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from propagation import PAUSE_S, _p95, measure

from warroom.demo_day import create_demo
from warroom.store import commands
from warroom.store.store import Store

STATUS_GOAL_MS = TAB_GOAL_MS = 500
TAB_MB_GOAL = 80
AUDIENCE = "sponsors"
NAME, PASSWORD = "Bench Operator", "bench password, long enough"
WRITE = re.compile(r"bench write (\d{4})\.")
TICKS = os.sysconf("SC_CLK_TCK")
VIEWPORT = {"width": 1920, "height": 1080}  # wide enough for the Timeline's whole "What" column
SPAWN = re.compile(r"status page for (\S+): (\S+)")

# Runs in every tab before textual.js: catches xterm's Terminal as textual.js assigns it, then
# notes when each write's text is first parsed into its buffer and first drawn.
TAB_SCRIPT = r"""
(() => {
  window.__drawn = {}; window.__parsed = {}; window.__terms = [];
  const re = /bench write (\d{4})\./g;
  const note = (term, seen, from, to) => {
    const now = (performance.timeOrigin + performance.now()) / 1000;  // seconds, as Python's time.time()
    const buffer = term.buffer.active;
    for (let y = from; y <= to; y++) {
      const line = buffer.getLine(buffer.viewportY + y);
      if (!line) continue;
      for (const m of line.translateToString(true).matchAll(re)) {
        if (!(m[1] in seen)) seen[m[1]] = now;
      }
    }
  };
  Object.defineProperty(Object.prototype, "terminal", {
    configurable: true,
    set(value) {
      Object.defineProperty(this, "terminal", {value, writable: true, configurable: true, enumerable: true});
      if (value && value.buffer && typeof value.onRender === "function") {
        window.__terms.push(value);
        value.onRender(({start, end}) => note(value, window.__drawn, start, end));
        value.onWriteParsed(() => note(value, window.__parsed, 0, value.rows - 1));
      }
    },
  });
  window.__screen = () => {
    const term = window.__terms[0];
    if (!term) return "";
    const buffer = term.buffer.active, rows = [];
    for (let y = 0; y < term.rows; y++) {
      const line = buffer.getLine(buffer.viewportY + y);
      rows.push(line ? line.translateToString(true) : "");
    }
    return rows.join("\n");
  };
})();
"""


# -- the processes of the run ----------------------------------------------------------------
def run_writer(db: Path, seconds: float, out: Path) -> None:
    """A message to sponsors ~2 times a second for `seconds`: index, event id, commit time."""
    end = time.time() + seconds
    with Store(db, "bench writer") as store, out.open("w", buffering=1) as log:
        i = 0
        while time.time() < end:
            time.sleep(random.uniform(*PAUSE_S))
            event = commands.log_message(store, AUDIENCE, f"bench write {i:04d}.")["event"]
            log.write(f"{i} {event} {time.time()}\n")
            i += 1


def run_viewers(url: str, count: int, out: Path) -> None:
    """`count` SSE streams of `url` until SIGTERM; then, per viewer, when each write first arrived."""
    import aiohttp

    seen: list[dict[str, float]] = [{} for _ in range(count)]
    connected: set[int] = set()

    async def view(session: aiohttp.ClientSession, n: int) -> None:
        async with session.get(url) as response:
            response.raise_for_status()
            async for line in response.content:
                now = time.time()
                if line.startswith(b"data:"):
                    connected.add(n)
                    for found in WRITE.findall(line.decode("utf-8", "replace")):
                        seen[n].setdefault(found, now)
                elif line.startswith(b"event: gone"):
                    raise RuntimeError(f"viewer {n}: the stream was ended by the server")

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        timeout = aiohttp.ClientTimeout(total=None, sock_read=None)
        async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=0)) as session:
            tasks = [asyncio.create_task(view(session, n)) for n in range(count)]
            said = False
            while not stop.is_set():
                failed = [t for t in tasks if t.done()]
                if failed:
                    failed[0].result()  # raises the viewer's error
                    raise RuntimeError("a viewer's stream ended")
                if not said and len(connected) == count:
                    print("ready", flush=True)
                    said = True
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 0.1)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        out.write_text(json.dumps(seen))

    asyncio.run(main())


class Server:
    """`warroom serve` on a free port; its output in a file, its status links read from it."""

    def __init__(self, db: Path, folder: Path):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / "serve.log"
        with self.log.open("w") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "warroom", "--db", str(db), "serve",
                                          "--port", str(self.port)], stdout=out, stderr=subprocess.STDOUT,
                                         env=os.environ | {"PYTHONUNBUFFERED": "1"})
        self.links: dict[str, str] = {}

    def wait_up(self) -> None:
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/login", timeout=2):
                    break
            except (urllib.error.URLError, ConnectionError):
                if self.proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError(f"warroom serve did not start: {self.log.read_text()}") from None
                time.sleep(0.1)
        self.links = dict(SPAWN.findall(self.log.read_text()))
        if AUDIENCE not in self.links:
            raise RuntimeError(f"no status link for {AUDIENCE} printed: {self.log.read_text()}")

    def consoles(self) -> list[list[int]]:
        """The console processes it started, one list per tab: each child of the server that runs
        warroom (textual-serve starts it through a shell) and its descendants."""
        children = process_children()
        tabs = []
        for child in children.get(self.proc.pid, []):
            with contextlib.suppress(OSError):
                if b"warroom" not in Path(f"/proc/{child}/cmdline").read_bytes():
                    continue
            tree, todo = [], [child]
            while todo:
                pid = todo.pop()
                tree.append(pid)
                todo += children.get(pid, [])
            tabs.append(tree)
        return tabs

    def stop(self) -> None:
        """Ctrl-C, as a person stops it (its consoles are told to quit); then whatever is left."""
        left = [pid for tree in self.consoles() for pid in tree]
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        time.sleep(0.5)
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def process_children() -> dict[int, list[int]]:
    """Every process's children, by their parent's pid (from /proc/*/stat)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(stat.parent.name))
    return children


def browser_pids() -> list[int]:
    """The chromium processes under this one (Playwright's driver starts the browser)."""
    children, found, todo = process_children(), [], [os.getpid()]
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        with contextlib.suppress(OSError):
            if "chrom" in Path(f"/proc/{pid}/comm").read_text():
                found.append(pid)
    return found


def cpu_total(pids: list[int]) -> float:
    """CPU seconds of those of `pids` still running."""
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError):
            total += cpu_seconds(pid)
    return total


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def memory_kib(pids: list[int]) -> tuple[int, int]:
    """VmRSS and VmHWM, summed over `pids` (a tab's shell and console)."""
    rss = hwm = 0
    for pid in pids:
        status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                      if ":" in line)
        rss, hwm = rss + int(status["VmRSS"].split()[0]), hwm + int(status["VmHWM"].split()[0])
    return rss, hwm


# -- the browser tabs ------------------------------------------------------------------------
def open_tab(browser, url: str):
    """A context of its own, logged in, the console up, on its Timeline."""
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(TAB_SCRIPT)
    page = context.new_page()
    page.goto(url, wait_until="domcontentloaded")
    page.fill("input[name=name]", NAME)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/", wait_until="domcontentloaded")
    page.wait_for_selector("body.-first-byte", timeout=60_000)
    if not page.evaluate("window.__terms.length"):
        raise RuntimeError("xterm's Terminal was not caught in the tab: did textual.js change?")
    return context, page


def to_timeline(page) -> None:
    deadline = time.time() + 60
    page.locator(".xterm").click()
    while "Operator" not in (screen := page.evaluate("window.__screen()")) or "Action" not in screen:
        if time.time() > deadline:
            raise RuntimeError(f"the tab did not show the Timeline:\n{screen}")
        page.keyboard.press("6")
        page.wait_for_timeout(1000)


# -- the run ---------------------------------------------------------------------------------
def delays(committed: dict[str, float], seen: list[dict[str, float]], what: str) -> list[float]:
    found = sorted((shown[i] - t) * 1000 for shown in seen for i, t in committed.items() if i in shown)
    missing = len(seen) * len(committed) - len(found)
    if missing:
        print(f"warning: {missing} ({what}, write) pairs never seen", flush=True)
    if not found:
        raise RuntimeError(f"no write seen in any {what}")
    return found


def figures(found: list[float]) -> str:
    return f"p50 {statistics.median(found):.0f} ms, p95 {_p95(found):.0f} ms, max {found[-1]:.0f} ms"


def verdict(value: float, goal: float) -> str:
    return "met" if value < goal else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60, help="how long the writer writes (~2 writes a second)")
    parser.add_argument("--tabs", type=int, default=8, help="browser tabs on the console")
    parser.add_argument("--viewers", type=int, default=50, help="status-page viewers (SSE streams)")
    parser.add_argument("--consoles", type=int, default=8, help="terminal consoles of the baseline")
    parser.add_argument("--writer", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--viewer", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.writer:
        run_writer(Path(args.writer[0]), float(args.writer[1]), Path(args.writer[2]))
        return
    if args.viewer:
        run_viewers(args.viewer[0], int(args.viewer[1]), Path(args.viewer[2]))
        return
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("no chromium on this system (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    db = folder / "demo.db"
    create_demo(db, "bench")
    subprocess.run([sys.executable, "-m", "warroom", "--db", str(db), "user", "add", NAME, "--password-stdin"],
                   input=PASSWORD + "\n", text=True, check=True, capture_output=True)
    writes = max(1, round(2 * args.seconds))

    # the baseline first, on an idle machine but for its own consoles
    (folder / "terminal").mkdir()
    terminal = sorted(measure(db, args.consoles, writes, folder / "terminal"))
    print(f"terminal consoles (baseline): {args.consoles} on the Timeline, {writes} writes ~2/s: "
          f"{figures(terminal)}", flush=True)

    server = Server(db, folder)
    viewers: subprocess.Popen[str] | None = None
    try:
        server.wait_up()
        token = parse_qs(urlsplit(server.links[AUDIENCE]).query)["token"][0]
        stream = f"{server.url}/status/{AUDIENCE}/events?token={token}"
        seen_file = folder / "viewers.json"
        viewers = subprocess.Popen([sys.executable, __file__, "--viewer", stream, str(args.viewers), str(seen_file)],
                                   stdout=subprocess.PIPE, text=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            try:
                tabs = [open_tab(browser, server.url) for _ in range(args.tabs)]
                for _, page in tabs:
                    to_timeline(page)
                assert viewers.stdout is not None
                ready, _, _ = select.select([viewers.stdout], [], [], 60)
                if not ready or viewers.stdout.readline().strip() != "ready":
                    raise RuntimeError("the status-page viewers did not connect")
                consoles = server.consoles()
                time.sleep(2)  # the tabs' first screens settle

                cpu_before = cpu_seconds(server.proc.pid)
                consoles_before = sum(cpu_seconds(pid) for tree in consoles for pid in tree)
                chromium = browser_pids()
                browser_before = cpu_total(chromium)
                started = time.time()
                written = folder / "writer.txt"
                subprocess.run([sys.executable, __file__, "--writer", str(db), str(args.seconds), str(written)],
                               check=True)
                wrote_for = time.time() - started
                server_cpu = cpu_seconds(server.proc.pid) - cpu_before
                consoles_cpu = sum(cpu_seconds(pid) for tree in consoles for pid in tree) - consoles_before
                browser_cpu = cpu_total(chromium) - browser_before
                time.sleep(2)  # the last write reaches every screen
                memory = [memory_kib(tree) for tree in consoles]
                drawn = [page.evaluate("window.__drawn") for _, page in tabs]
                parsed = [page.evaluate("window.__parsed") for _, page in tabs]
                for context, _ in tabs:
                    context.close()
            finally:
                browser.close()
        viewers.send_signal(signal.SIGTERM)
        viewers.wait(timeout=30)
        if viewers.returncode != 0:
            raise RuntimeError(f"the viewers process failed ({viewers.returncode})")
        streamed = json.loads(seen_file.read_text())
    finally:
        if viewers is not None and viewers.poll() is None:
            viewers.kill()
            viewers.wait()
        server.stop()

    committed = {f"{int(i):04d}": float(t) for i, _, t in (line.split() for line in written.read_text().splitlines())}
    status = delays(committed, streamed, "viewer")
    tab = delays(committed, drawn, "tab")
    tab_parsed = delays(committed, parsed, "tab buffer")
    base = _p95(terminal)
    n = len(committed)
    print(f"status pages: {args.viewers} viewers, {n} writes in {wrote_for:.0f} s: {figures(status)}; "
          f"ratio to the terminal p95 {_p95(status) / base:.2f} "
          f"(goal p95 < {STATUS_GOAL_MS}: {verdict(_p95(status), STATUS_GOAL_MS)})")
    print(f"console tabs, drawn: {args.tabs} tabs on the Timeline, {n} writes: {figures(tab)}; "
          f"ratio to the terminal p95 {_p95(tab) / base:.2f} "
          f"(goal p95 < {TAB_GOAL_MS}: {verdict(_p95(tab), TAB_GOAL_MS)})")
    print(f"console tabs, in xterm's buffer (before drawing): {figures(tab_parsed)}; "
          f"ratio to the terminal p95 {_p95(tab_parsed) / base:.2f}")
    if len(memory) != args.tabs:
        print(f"warning: {len(memory)} consoles found for {args.tabs} tabs")
    rss = [r / 1024 for r, _ in memory]
    hwm = [h / 1024 for _, h in memory]
    print(f"memory per tab (its console process and the shell that started it): "
          f"RSS mean {statistics.mean(rss):.1f} MB, max {max(rss):.1f} MB; "
          f"peak (VmHWM) mean {statistics.mean(hwm):.1f} MB, max {max(hwm):.1f} MB "
          f"(goal < {TAB_MB_GOAL} MB: {verdict(max(hwm), TAB_MB_GOAL)})")
    print(f"server CPU over the writes: {server_cpu:.2f} s, {100 * server_cpu / wrote_for:.1f}% of a core "
          f"({1000 * server_cpu / n:.1f} ms a write); its {len(consoles)} consoles: {consoles_cpu:.2f} s, "
          f"{100 * consoles_cpu / wrote_for:.1f}% of a core; the browser (chromium, {args.tabs} tabs drawing): "
          f"{browser_cpu:.2f} s, {100 * browser_cpu / wrote_for:.1f}% of a core, on {os.cpu_count()} cores", flush=True)


if __name__ == "__main__":
    main()
