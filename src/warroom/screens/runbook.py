"""Runbook: the steps by phase with their status, plan, actuals and slip; move a step, sign a
gate, and read a step's instructions, dependencies and history."""
from __future__ import annotations

import json

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Static

from ..console import views
from ..console.field import Field
from ..console.messages import HistoryLoaded
from ..console.views import Delta
from ..console.workers import start_worker
from ..domain import figures
from ..domain.kinds import Phase, StepKind, StepStatus
from ..domain.rules import SETTLED
from ..domain.timefmt import duration
from ..store import commands
from ..widgets import badges
from ..widgets.keyed_table import Column, KeyedTable, RowData, Tail
from ..widgets.text import reflow, safe
from .base import WarScreen
from .sentence import describe

PHASES = list(Phase)
COLUMNS = [Column("Status", "status", 9), Column("Plan", "plan", 15), Column("Actual", "actual", 11),
           Column("Slip", "slip", 5), Column("Step · owner", "title", 20, fill=1)]
REASONED = {"fail": "Why did it fail?", "skip": "Why skip it?", "block": "What blocks it?",
            "force": "Why start it anyway?", "reopen": "Why was it not really done?"}
EVIDENCE = "Evidence: what was tested on the real environment, what it showed"


class RunbookScreen(WarScreen):
    MODE = "runbook"
    TITLE = "Runbook"
    BINDINGS = [
        Binding("s", "step('start')", "Start"),
        Binding("d", "step('done')", "Done"),
        Binding("f", "reasoned('fail')", "Fail"),
        Binding("k", "reasoned('skip')", "Skip"),
        Binding("b", "reasoned('block')", "Block"),
        Binding("u", "step('unblock')", "Unblock"),
        Binding("F", "reasoned('force')", "Force start"),
        Binding("g", "signoff", "Sign gate"),
        Binding("o", "reasoned('reopen')", "Reopen"),
        Binding("R", "attach_rehearsal", "Attach rehearsal"),
    ]

    def body(self) -> ComposeResult:
        yield Static(id="runbook-hold")
        with Horizontal(id="runbook-panes"):
            yield KeyedTable(COLUMNS, id="runbook-table")
            with VerticalScroll(id="runbook-details"):
                yield Static(id="runbook-detail-text")

    def __init__(self) -> None:
        super().__init__()
        self._history: dict[str, list[dict]] = {}
        self._critical: frozenset[str] = frozenset()  # the forecast's critical path, marked »

    @property
    def table(self) -> KeyedTable:
        return self.query_one("#runbook-table", KeyedTable)

    def show_delta(self, delta: Delta) -> None:
        if delta.touched("meta"):
            self._show_hold()
        if not delta.touched("steps", "signoffs"):
            return
        room, now = self.console.room, self.console.now()
        changed = {r["id"] for r in delta.rows.get("steps", [])} | {s["gate"] for s in delta.rows.get("signoffs", [])}
        changed |= self._critical ^ self._critical_path(now)  # the steps that joined or left it
        for step_id in changed:
            self._history.pop(step_id, None)
        rows = [self._phase_row(p) for p in PHASES] if delta.initial else []
        steps = room.steps() if delta.initial else [room.tables["steps"][i] for i in changed]
        self.table.upsert(rows + [self._step_row(s, now) for s in steps])
        if delta.initial:
            self._to_current_step(steps)
        self._show_details()

    def _show_hold(self) -> None:
        """The runbook on hold says so above the steps: nothing starts until a go or resume."""
        hold = self.console.room.meta("hold")
        banner = self.query_one("#runbook-hold", Static)
        banner.display = bool(hold)
        banner.update(safe(f"RUNBOOK ON HOLD: {hold} — steps start again after a go or resume decision "
                           "(Board, d), or forced with a reason (F)", limit=300))

    def _to_current_step(self, steps: list[dict]) -> None:
        """Open on the first step still to be settled."""
        current = next((s for s in steps if StepStatus(s["status"]) not in SETTLED), None)
        if current is not None:
            self.table.move_cursor(row=self.table.get_row_index(current["id"]))

    def tick(self, now: int) -> None:
        """Slips grow while a step is late, and the critical path moves: refresh the steps
        still open."""
        self._critical_path(now)
        open_steps = [s for s in self.console.room.steps() if s["ended_at"] is None]
        self.table.upsert(self._step_row(s, now) for s in open_steps)

    def _critical_path(self, now: int) -> frozenset[str]:
        self._critical = frozenset(views.forecast_of(self.console.room, now).critical_path)
        return self._critical

    def _phase_row(self, phase: Phase) -> RowData:
        blank = Text("", end="")
        return RowData(f"phase:{phase}", (PHASES.index(phase), -1),
                       [Text(f"── {phase.upper()}", "bold", end=""), blank, blank, blank, blank])

    def _step_row(self, step: dict, now: int) -> RowData:
        tz = self.console.tz
        start_slip, end_slip = figures.start_slip(step, now), figures.end_slip(step, now)
        slip = max(start_slip or 0, end_slip or 0)
        golive = self.console.room.golive
        actual = views.day_span(step["started_at"], step["ended_at"], golive, tz) if step["started_at"] else ""
        title = Text(end="")  # no style of its own: the whole title would wear it
        title.append("» " if step["id"] in self._critical else "", "bold red")
        title.append(badges.KIND_MARK.get(step["kind"], ""), "bold")
        title.append_text(safe(step["title"], "bold" if step["critical"] else "", limit=200))
        return RowData(step["id"], (PHASES.index(Phase(step["phase"])), step["position"]), [
            badges.step_status("standby" if step["contingency"] and not step["invoked"] else step["status"]),
            Text(f"if needed · {duration(step['planned_duration'] * 1000)}" if step["contingency"]
                 else views.day_span(step["planned_start"], figures.planned_end(step), golive, tz), end=""),
            Text(actual, end=""),
            Text(f"+{duration(slip)}" if slip else "", "bold red" if slip else "", end=""),
            Tail(title, safe(f" · {step['owner']}", "dim", limit=40)),
        ])

    # -- details ---------------------------------------------------------------------------
    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_details()

    def selected(self) -> dict | None:
        key = self.table.current_key
        return self.console.room.tables["steps"].get(key) if key else None

    def _show_details(self) -> None:
        step = self.selected()
        if step is None:
            self.query_one("#runbook-detail-text", Static).update(Text("a phase: pick a step", "dim"))
            return
        if step["id"] not in self._history:
            self._history[step["id"]] = []
            self.load_history(step["id"])
        self.query_one("#runbook-detail-text", Static).update(self._details(step))

    def load_history(self, step_id: str) -> None:
        reader = self.console.reader
        start_worker(self, lambda: HistoryLoaded("step", step_id, reader.entity_events("step", step_id)),
                     group="reads")

    def on_history_loaded(self, message: HistoryLoaded) -> None:
        self._history[message.key] = message.events
        self._show_details()

    def _details(self, step: dict) -> Text:
        room, tz = self.console.room, self.console.tz
        text = Text(end="").append_text(safe(step["title"], "bold", limit=300))
        text.append("\n")
        text.append_text(safe(f"{step['id']} · {step['kind']} · {step['phase']} · owner {step['owner']}"
                              + (" · CRITICAL" if step["critical"] else "")
                              + (" · UNPLANNED: added on the day" if step["unplanned"] else ""), "dim"))
        rehearsed = json.loads(self.console.room.meta("rehearsed") or "{}").get(step["id"])
        if rehearsed is not None:
            text.append(f"\nrehearsed in {duration(rehearsed)}")
        if step["contingency"]:
            text.append("\nruns only if needed: " + ("invoked" if step["invoked"] else "on standby")
                        + f", lasts {duration(step['planned_duration'] * 1000)}")
        else:
            planned_end = figures.planned_end(step)
            text.append(f"\nplanned {views.day_time(step['planned_start'], tz)} → {views.hhmm(planned_end, tz)}")
        if step["started_at"]:
            text.append(f"\nactual  {views.day_time(step['started_at'], tz)} → {views.hhmm(step['ended_at'], tz)}")
        text.append_text(_undoing(step))
        if step["kind"] == StepKind.CHECK:
            text.append_text(_evidence(step))
        if step["kpis_ready"]:
            text.append("\npasses only once every KPI can be measured (a baseline, a source that answered)")
        if step["reason"]:
            text.append("\nreason: ", "italic")
            text.append_text(safe(step["reason"], "italic", limit=500))
        for dep in step["depends_on"]:
            other = room.tables["steps"].get(dep)
            text.append("\nafter ")
            text.append_text(safe(f"{dep}: ", limit=60))
            text.append_text(badges.step_status(other["status"]) if other else Text("?"))
        if step["kind"] == StepKind.GATE:
            text.append_text(self._signoffs(step))
        if step["instructions"]:
            text.append("\n\nInstructions\n", "bold underline")
            text.append_text(safe(reflow(step["instructions"]), multiline=True, limit=4000))
        text.append("\n\nHistory", "bold underline")
        for event in self._history.get(step["id"], []):
            text.append(f"\n{views.hhmm(event['happened_at'], tz)} ")
            text.append_text(safe(f"{event['operator']}: {describe(event, self.console.room)}", limit=200))
        return text

    def _signoffs(self, step: dict) -> Text:
        latest = views.latest_signoffs(self.console.room, step["id"])
        text = Text("\n\nSign-offs", "bold underline", end="")
        for role in step["signoff_roles"]:
            signed = latest.get(role)
            text.append("\n")
            text.append_text(safe(f"{role}: ", limit=40))
            if signed is None:
                text.append("waiting", "yellow")
                continue
            text.append(signed["verdict"].upper(), "bold green" if signed["verdict"] == "go" else "bold red")
            text.append_text(safe(f" by {signed['signed_by']} at {views.hhmm(signed['happened_at'], self.console.tz)}"
                                  + (f": {signed['comment']}" if signed["comment"] else ""), limit=200))
        return text

    # -- actions ---------------------------------------------------------------------------
    def _step_or_warn(self) -> dict | None:
        step = self.selected()
        if step is None:
            self.console.tell("pick a step first (a phase line is not a step)")
        return step

    def action_step(self, action: str) -> None:
        """Move the step; a check step is done with its evidence, asked for first."""
        step = self._step_or_warn()
        if step is None:
            return
        if action == "done" and step["kind"] == StepKind.CHECK:
            self._ask(step, action, "evidence", EVIDENCE)
        else:
            self.console.write(commands.step, action, step["id"])

    def action_reasoned(self, action: str) -> None:
        step = self._step_or_warn()
        if step is not None:
            self._ask(step, action, "note", REASONED[action])

    def _ask(self, step: dict, action: str, field: str, question: str) -> None:
        """A form that asks one thing (a reason, the evidence), then moves the step with it."""
        title = safe(f"{action.capitalize()} step {step['id']}: {step['title']}", limit=120)
        command = "start" if action == "force" else action
        self.console.form(title, [Field(field, question)],
                          lambda v, done: self.console.write(commands.step, command, step["id"], then=done,
                                                             force=action == "force", **{field: v[field]}))

    def action_attach_rehearsal(self) -> None:
        """The forecast then expects each step to take what it took in that rehearsal."""
        attached = self.console.room.meta("rehearsal_file")
        self.console.form("Attach a rehearsal's timings to the forecast", [
            Field("file", "The rehearsal's war room file" + (f" (attached now: {attached})" if attached else ""),
                  placeholder="rehearsal.db"),
        ], lambda v, done: self.console.write(commands.attach_rehearsal, v["file"], then=done))

    def action_signoff(self) -> None:
        step = self._step_or_warn()
        if step is None:
            return
        if step["kind"] != StepKind.GATE:
            self.console.tell(f"{step['id']} is a {step['kind']}, not a gate: it takes no sign-off")
            return
        roles = [(safe(r), r) for r in step["signoff_roles"]]
        mine = [r for r in step["signoff_roles"] if self._holds(r)]
        self.console.form(safe(f"Sign gate {step['id']}: {step['title']}", limit=120), [
            Field("role", "Role", "select", (mine or step["signoff_roles"])[0], roles),
            Field("verdict", "Verdict", "select", "go", [("go", "go"), ("no-go", "no-go")]),
            Field("note", "Comment (a forced sign-off says why)"),
            Field("force", "Force: I do not hold the role, or its dependencies are not done (recorded)", "check",
                  False),
        ], lambda v, done: self.console.write(commands.signoff, step["id"], v["role"], v["verdict"],
                                              note=v["note"], force=v["force"], then=done))

    def _holds(self, role: str) -> bool:
        holder = views.holders(self.console.room).get(role)
        return holder is not None and holder["person"].casefold() == self.console.store.operator.casefold()


def _undoing(step: dict) -> Text:
    """How the step is undone, where it stands on its targets, and whether it is the point of
    no return."""
    text = Text(end="")
    undo = [*step["backout"], *([duration(step["backout_duration"] * 1000)] if step["backout_duration"] else [])]
    if undo:
        text.append("\nundone by ").append_text(safe(", ".join(undo), limit=300))
    if step["point_of_no_return"]:
        text.append("\nPOINT OF NO RETURN: once done, a backout is a recovery", "bold red")
    for target in step["targets"]:
        state = step["target_state"].get(target)
        text.append("\n  ").append_text(safe(f"{target}: ", limit=60))
        text.append(state or "to do", {"done": "green", "failed": "bold red"}.get(state or "", "dim"))
    return text


def _evidence(step: dict) -> Text:
    """A check step: the evidence it was passed with, or what it waits for (a failed one's
    reason follows, as any step's)."""
    if step["evidence"]:
        return Text("\nevidence: ", "bold green", end="").append_text(
            safe(step["evidence"], multiline=True, limit=2000))
    if step["status"] == StepStatus.FAILED:
        return Text("\ncheck FAILED on the real environment", "bold red", end="")
    return Text("\na check: done with its evidence (d asks for it)", "dim", end="")
