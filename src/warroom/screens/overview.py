"""Overview: the whole day on one screen — clock, runbook, incidents, the latest decision,
the updates owed, KPIs and who holds each role."""
from __future__ import annotations

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static

from ..console import views
from ..console.field import Field
from ..console.views import Delta
from ..domain.numbers import format_number
from ..domain.timefmt import duration
from ..store import commands
from ..widgets import badges
from ..widgets.spark import around_golive
from ..widgets.text import safe
from .base import WarScreen

COLUMNS = ((("runbook", "Runbook"), ("incidents", "Open incidents"), ("decision", "Rollback · latest decision")),
           (("comms", "Updates due"), ("kpis", "KPIs: latest (baseline → target)"), ("roles", "Who holds what")))

SHOWN_TABLES = ("meta", "steps", "incidents", "decisions", "audiences", "messages", "kpis", "kpi_readings",
                "roles", "assignments")
LABEL, LABEL_WIDE = 15, 26  # columns for a name at the start of a line
SPARK, SPARK_LEAST = 8, 3  # cells of a KPI's sparkline, and the fewest worth drawing (else none)


def label(text: str, width: int) -> Text:
    """A name in `width` columns, cut with an ellipsis when it does not fit."""
    shown = text if len(text) <= width else text[:width - 1] + "…"
    return safe(f"{shown:<{width}} ", "bold")


class OverviewScreen(WarScreen):
    MODE = "overview"
    TITLE = "Overview"
    ROWS_LATER = False  # six short panels: the first frame can carry them
    BINDINGS = [Binding("k", "record_kpi", "KPI reading")]

    def __init__(self) -> None:
        super().__init__()
        self._shown: dict[str, Text] = {}  # what each panel shows: redraw only what changed

    def body(self) -> ComposeResult:
        with Horizontal(id="overview-columns"):
            for panels in COLUMNS:
                with VerticalScroll(classes="overview-column"):
                    for key, title in panels:
                        panel = Static(id=f"overview-{key}", classes="overview-panel")
                        panel.border_title = title
                        yield panel

    def show_delta(self, delta: Delta) -> None:
        if delta.touched(*SHOWN_TABLES) and not delta.initial:  # a first delta is followed by a tick
            self.tick(self.console.now())

    def tick(self, now: int) -> None:
        if not (self.is_current and self.console.room.loaded):
            return
        room, tz = self.console.room, self.console.tz
        label = LABEL_WIDE if self.has_class("-wide") else LABEL
        self._panel("runbook", runbook_text(room, now, tz))
        self._panel("incidents", incidents_text(room, now))
        self._panel("decision", decision_text(room, now, tz))
        self._panel("comms", comms_text(room, now, tz, label))
        self._panel("kpis", kpis_text(room, now, tz, label, self._line_width("kpis")))
        self._panel("roles", roles_text(room, label))

    def _line_width(self, key: str) -> int:
        """The cells a panel's line has (before the first layout: half the screen, less the padding)."""
        return self.query_one(f"#overview-{key}").content_region.width or self.app.size.width // 2 - 2

    @on(events.Resize)
    def _fit(self) -> None:
        """Lines fit the panels' new width, once laid out (WarScreen.on_resize sets -wide)."""
        self.call_after_refresh(lambda: self.tick(self.console.now()))

    def _panel(self, key: str, text: Text) -> None:
        if self._shown.get(key) != text:
            self._shown[key] = text
            self.query_one(f"#overview-{key}", Static).update(text)

    def action_record_kpi(self) -> None:
        kpis = self.console.room.rows("kpis")
        if not kpis:
            self.console.tell("this war room has no KPI")
            return
        self.console.form("Record a KPI reading", [
            Field("kpi", "KPI", "select", kpis[0]["key"], [(safe(k["name"]), k["key"]) for k in kpis]),
            Field("value", "Value", placeholder="e.g. 3.2"),
        ], self._record_kpi)

    def _record_kpi(self, values: dict, done) -> None:
        try:
            value = float(values["value"])
        except (TypeError, ValueError):
            self.console.tell("the value must be a number, like 3.2", "error")
            return
        self.console.write(commands.record_kpi, values["kpi"], value, then=done)


def runbook_text(room: views.Room, now: int, tz) -> Text:
    p = views.progress(room, now)
    text = Text(end="")
    text.append(f"{p.done}/{p.total} done", "bold")
    text.append("  ")
    text.append(f"{p.late} late", "bold red" if p.late else "green")
    for step in p.in_progress:
        text.append("\n▶ ", "bold yellow")
        text.append_text(safe(f"{step['title']} (since {views.hhmm(step['started_at'], tz)})", limit=70))
    if not p.in_progress:
        text.append("\nnothing in progress", "dim")
    if p.projected_finish:
        slip = p.projected_finish - (p.planned_finish or p.projected_finish)
        text.append(f"\nends ~{views.hhmm(p.projected_finish, tz)} (plan {views.hhmm(p.planned_finish, tz)}")
        text.append(f", +{duration(slip)} late)" if slip > 60_000 else ", on plan)",
                    "bold red" if slip > 60_000 else "green")
    return text


def incidents_text(room: views.Room, now: int) -> Text:
    text = Text(end="")
    for sev, count in views.open_by_severity(room).items():
        text.append(f"SEV{sev}", badges.SEVERITY_STYLE[sev] if count else "dim")
        text.append(f" {count}  ", "bold" if count else "dim")
    worst = sorted(views.open_incidents(room), key=views.incident_order)[:3]
    for incident in worst:
        text.append(f"\n{incident['ref']} ", "bold")
        text.append(f"SEV{incident['severity']}", badges.SEVERITY_STYLE[incident["severity"]])
        text.append(" ")
        text.append_text(badges.incident_status(incident["status"]))
        text.append(f" {duration(now - incident['opened_at'])} ")
        text.append_text(safe(incident["title"], limit=80))
    if not worst:
        text.append("\nno open incident", "green")
    return text


CLOCK_STYLE = {"ok": "bold", "amber": "bold black on #ff8c00", "red": "bold white on red"}


def decision_text(room: views.Room, now: int, tz) -> Text:
    """The rollback clock (can we still roll back, until when), then the decision in force."""
    clock = views.rollback_clock(room, now, tz)
    text = Text(end="")
    if clock is not None:
        text.append(clock.text, CLOCK_STYLE[clock.tone])
        text.append("\n")
    latest = views.latest_decision(room)
    if latest is None:
        return text.append("no decision recorded yet", "dim")
    text.append_text(badges.decision(latest["kind"]))
    text.append_text(safe(f" by {latest['decided_by']} at {views.hhmm(latest['happened_at'], tz)}", limit=60))
    if latest["recorded_by"] != latest["decided_by"]:
        text.append_text(safe(f" (logged by {latest['recorded_by']})", "dim", limit=40))
    if latest["forced"]:
        text.append(" FORCED", "bold red")
    text.append("\n")
    text.append_text(safe(latest["rationale"], "italic", multiline=True, limit=300))
    return text


def comms_text(room: views.Room, now: int, tz, width: int) -> Text:
    text = Text(end="", no_wrap=True, overflow="ellipsis")
    for i, due in enumerate(views.comms_due(room)):
        text.append("\n" if i else "")
        text.append_text(label(due.title, width))
        if due.next_due is None:
            text.append("nothing owed", "dim")
        elif due.overdue(now):
            text.append(f" OVERDUE {duration(now - due.next_due)} ", "bold white on red")
        else:
            text.append(f"next {views.hhmm(due.next_due, tz)} in {duration(due.next_due - now)}")
    return text or Text("no audience in the plan", "dim", end="")


def kpis_text(room: views.Room, now: int, tz, width: int, line: int) -> Text:
    """Each KPI's latest reading since go-live against its target (none: 'no data'), its
    readings around go-live in what is left of a `line` cells long, and its source's latest
    run when that one failed."""
    started = now >= room.golive
    lines = [kpi_lines(kpi, now, tz, width, line, started) for kpi in views.kpis(room)]
    return Text("\n", end="").join(lines) if lines else Text("no KPI in the plan", "dim", end="")


def kpi_lines(kpi: views.KpiView, now: int, tz, width: int, line: int, started: bool) -> Text:
    """One KPI's line, and a second one when its source's latest run failed."""
    text = Text(end="").append_text(label(kpi.name, width))
    unit = kpi.unit if len(kpi.unit) <= 2 or width == LABEL_WIDE else ""
    text.append_text(kpi_value(kpi, unit, started))
    baseline = "—" if kpi.baseline is None else format_number(kpi.baseline)
    text.append_text(safe(f" ({baseline}→{format_number(kpi.target)}) ", "dim"))
    room = min(SPARK, line - text.cell_len)  # what is left of the line: never more, so the newest stay in view
    if room >= SPARK_LEAST:
        text.append_text(around_golive(kpi.before, kpi.since, room, started))
    if kpi.failed is not None:
        text.append(f"\n  ✗ source failed {views.since(kpi.failed['happened_at'], now, tz)}: ", "bold red")
        text.append_text(safe(kpi.failed["error"], limit=300))
    return text


def kpi_value(kpi: views.KpiView, unit: str, started: bool) -> Text:
    """Since go-live: the latest reading, green when it meets the target, or 'no data'; before
    go-live: the latest reading, which only measures where the KPI stands."""
    value = kpi.latest if started else (kpi.before[-1] if kpi.before else None)
    if value is None:
        return Text("no data", "dim", end="")
    style = "bold green" if kpi.met else "bold yellow" if started else "bold"
    return safe(f"{format_number(value, unit):>5}", style)


def roles_text(room: views.Room, width: int) -> Text:
    holders = views.holders(room)
    text = Text(end="", no_wrap=True, overflow="ellipsis")
    for i, role in enumerate(room.rows("roles")):
        text.append("\n" if i else "")
        text.append_text(label(role["title"], width))
        holder = holders.get(role["key"])
        text.append_text(safe(holder["person"], limit=40) if holder else Text("nobody", "bold red"))
    return text
