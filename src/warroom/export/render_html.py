"""HTML: one self-contained, printable file. No script, nothing fetched (the Content
Security Policy forbids both), every piece of text escaped."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import TextIO

from ..domain.visible import HIDDEN_CHARS, visible
from ..domain.visible import html_text as esc
from . import kpi_chart
from .chart import svg
from .document import (
    Alert,
    Block,
    Bullets,
    Chart,
    Entry,
    Heading,
    KpiCharts,
    Listing,
    Log,
    Mark,
    Pairs,
    Paragraph,
    Table,
    Text,
)
from .listings import Spools
from .read import Report
from .sections import document

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
STYLE = """
:root { color-scheme: light; --ink: #1d2430; --muted: #5b6675; --line: #d5dbe3; --head: #eef2f7;
  --bad: #b3261e; --warn: #8a5300; --good: #1e6b35; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--ink); background: #fff; margin: 24px auto; max-width: 1500px; padding: 0 20px; }
h1 { font-size: 26px; margin: 0 0 12px; }
h2 { font-size: 20px; margin: 34px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 16px; margin: 20px 0 6px; }
p, ul { margin: 6px 0 12px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 16px; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 4px 7px; text-align: left; vertical-align: top;
  white-space: pre-wrap; overflow-wrap: break-word; unicode-bidi: plaintext; }
th { background: var(--head); font-weight: 600; }
tbody tr:nth-child(even) td { background: #fafbfc; }
dl.pairs { display: grid; grid-template-columns: max-content 1fr; gap: 3px 18px; margin: 8px 0 16px; }
dl.pairs dt { font-weight: 600; color: var(--muted); }
dl.pairs dd { margin: 0; white-space: pre-wrap; overflow-wrap: break-word; unicode-bidi: plaintext; }
li { white-space: pre-wrap; overflow-wrap: break-word; unicode-bidi: plaintext; }
.m-bad { color: var(--bad); font-weight: 700; }
.m-warn { color: var(--warn); font-weight: 600; }
.m-good { color: var(--good); }
.alert { border: 3px solid var(--bad); background: #fdecea; color: #5f1410; padding: 12px 18px; margin: 12px 0 20px; }
.alert strong { font-size: 17px; }
table.log td.time { white-space: nowrap; width: 1%; color: var(--muted); font-variant-numeric: tabular-nums; }
table.log td.who { white-space: nowrap; width: 1%; }
table.log tr.day th { background: #e3e9f1; }
p.empty { color: var(--muted); font-style: italic; }
svg.chart { width: 100%; height: auto; border: 1px solid var(--line); margin: 8px 0 4px;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
svg line.tick { stroke: #e6eaf0; }
svg text.tick { fill: var(--muted); font-size: 11px; }
svg text.label { fill: var(--ink); font-size: 12px; }
svg text.label.incident { fill: var(--bad); }
svg text.legend { fill: var(--muted); font-size: 11px; }
svg rect.planned { fill: #e1e7ef; stroke: #9aa8bb; }
svg rect.done { fill: #2e7d32; } svg rect.failed { fill: #c62828; } svg rect.running { fill: #1565c0; }
svg rect.skipped { fill: #9e9e9e; } svg rect.blocked { fill: #ef6c00; } svg rect.pending { fill: #bdbdbd; }
svg rect.late { stroke: #e65100; stroke-width: 2; }
svg rect.sev1 { fill: #b71c1c; } svg rect.sev2 { fill: #e65100; } svg rect.sev3 { fill: #f9a825; }
svg rect.sev4 { fill: #7986cb; } svg rect.mitigated { opacity: 0.4; }
svg line.marker { stroke-width: 1.5; stroke-dasharray: 5 3; }
svg text.marker { font-size: 11px; font-weight: 700; }
svg .golive { stroke: #1d2430; fill: #1d2430; } svg .go { stroke: #1e6b35; fill: #1e6b35; }
svg .stop { stroke: #b3261e; fill: #b3261e; }
svg text.marker { stroke: none; }
div.kpi-charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(460px, 1fr)); gap: 10px 16px;
  margin: 8px 0 16px; }
svg.kpi { width: 100%; height: auto; border: 1px solid var(--line);
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
svg.kpi text { stroke: none; }
svg.kpi text.name { fill: var(--ink); font-size: 13px; font-weight: 600; }
svg.kpi text.figures, svg.kpi text.tick, svg.kpi text.level { fill: var(--muted); font-size: 11px; }
svg.kpi text.period { fill: var(--ink); font-size: 11px; font-style: italic; }
svg.kpi tspan.good { fill: var(--good); font-weight: 700; } svg.kpi tspan.bad { fill: var(--bad); font-weight: 700; }
svg.kpi tspan.warn, svg.kpi text.nodata { fill: var(--warn); font-weight: 700; }
svg.kpi rect.plot { fill: #fafbfc; stroke: var(--line); }
svg.kpi line.golive { stroke: #1d2430; stroke-width: 1.5; } svg.kpi text.golive { fill: #1d2430; font-weight: 700; }
svg.kpi line.dayend { stroke: #9aa8bb; stroke-dasharray: 3 3; }
svg.kpi line.target { stroke: #1e6b35; stroke-width: 1.5; stroke-dasharray: 6 4; }
svg.kpi text.level.target { fill: #1e6b35; }
svg.kpi line.before { stroke: #7a8797; stroke-dasharray: 2 3; }
svg.kpi polyline.reading { fill: none; stroke: #1565c0; stroke-width: 1.5; }
svg.kpi circle.reading { fill: #1565c0; }
svg.kpi rect.failed-run { fill: #b3261e; }
@page { size: A4 landscape; margin: 12mm; }
@media print {
  body { margin: 0; max-width: none; padding: 0; font-size: 10.5px; }
  table { font-size: 10px; }
  h2 { break-after: avoid; } h3 { break-after: avoid; }
  tr, .alert, svg.chart, svg.kpi { break-inside: avoid; }
  * { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
}
"""


_LONG_WORD = re.compile(r"\S{48,}")
_BREAK_EVERY = 24
_NEEDS_WORK = re.compile(r"[&<>\"'\r" + HIDDEN_CHARS + "]")


def breakable(text: str) -> str:
    """Escaped text in which a very long word may wrap (<wbr>), so that a 5,000-character
    token cannot stretch a table past the page."""
    if not _LONG_WORD.search(text):
        return esc(text) if _NEEDS_WORK.search(text) else text
    shown, parts, at = visible(text), [], 0
    for long_word in _LONG_WORD.finditer(shown):  # escaped piece by piece, joined by <wbr>
        parts += [esc(shown[at:long_word.start()]), "<wbr>".join(map(esc, _chunks(long_word.group())))]
        at = long_word.end()
    return "".join([*parts, esc(shown[at:])])


def _chunks(word: str) -> list[str]:
    return [word[i:i + _BREAK_EVERY] for i in range(0, len(word), _BREAK_EVERY)]


escape_name = lru_cache(maxsize=1024)(breakable)  # operators: few, repeated on every line


LOG_OPEN, LOG_CLOSE = '<table class="log">\n<tbody>\n', "</tbody>\n</table>\n"


def inline(value: Text) -> str:
    if isinstance(value, Mark):
        return f'<span class="m-{value.tone}">{breakable(value.text)}</span>'
    return breakable(value)


def render(report: Report, out: TextIO) -> None:
    out.write(f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
              f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
              f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
              f'<meta name="generator" content="warroom export">\n'
              f"<title>{esc('Go-live report: ' + report.board.meta['name'])}</title>\n"
              f"<style>{STYLE}</style>\n</head>\n<body>\n")
    writer = _Writer(out, report)
    with writer.spools:
        for block in document(report):
            writer.block(block)
    out.write("</body>\n</html>\n")


class _Writer:
    def __init__(self, out: TextIO, report: Report):
        self.out, self.face = out, report.face
        self.spools = Spools(report, self)  # the listings, written in this format

    def block(self, block: Block) -> None:
        getattr(self, f"_{type(block).__name__.lower()}")(block)

    def _heading(self, b: Heading) -> None:
        anchor = f' id="{b.anchor}"' if b.anchor else ""
        self.out.write(f"<h{b.level}{anchor}>{esc(b.text)}</h{b.level}>\n")

    def _paragraph(self, b: Paragraph) -> None:
        self.out.write(f"<p>{inline(b.text)}</p>\n")

    def _pairs(self, b: Pairs) -> None:
        self.out.write('<dl class="pairs">\n')
        self.out.writelines(f"<dt>{esc(label)}</dt><dd>{inline(value)}</dd>\n" for label, value in b.items)
        self.out.write("</dl>\n")

    def _bullets(self, b: Bullets) -> None:
        self.out.write("<ul>\n")
        self.out.writelines(f"<li>{inline(item)}</li>\n" for item in b.items)
        self.out.write("</ul>\n")

    def _table(self, b: Table) -> None:
        head = "".join(f"<th>{esc(c)}</th>" for c in b.columns)
        self.out.write(f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n")
        self.out.writelines("<tr>" + "".join(f"<td>{inline(c)}</td>" for c in row) + "</tr>\n" for row in b.rows)
        self.out.write("</tbody>\n</table>\n")

    def log_day(self, day: str, first: bool) -> str:
        return f'<tr class="day"><th colspan="3">{esc(day)}</th></tr>\n'

    def log_line(self, entry: Entry) -> str:
        return (f'<tr><td class="time">{self.face.clock(entry.at)}</td>'
                f'<td class="who">{escape_name(entry.operator)}</td><td>{inline(entry.what)}</td></tr>\n')

    def _log(self, b: Log) -> None:
        day = None
        for entry in b.entries:
            today = self.face.day(entry.at)
            if day is None:
                self.out.write(LOG_OPEN)
            if today != day:
                self.out.write(self.log_day(today, first=day is None))
                day = today
            self.out.write(self.log_line(entry))
        self.out.write(LOG_CLOSE if day is not None else f'<p class="empty">{esc(b.empty)}</p>\n')

    def _listing(self, b: Listing) -> None:
        if not self.spools.copy(b.name, self.out, LOG_OPEN, LOG_CLOSE):
            self.out.write(f'<p class="empty">{esc(b.empty)}</p>\n')

    def _alert(self, b: Alert) -> None:
        items = "".join(f"<li>{esc(line)}</li>" for line in b.lines)
        self.out.write(f'<div class="alert" role="alert"><strong>{esc(b.title)}</strong><ul>{items}</ul></div>\n')

    def _chart(self, b: Chart) -> None:
        self.out.write('<h2 id="chart">The day on one axis: planned vs actual, incidents, decisions</h2>\n')
        self.out.write(svg(b.facts, self.face) + "\n")

    def _kpicharts(self, b: KpiCharts) -> None:
        series = b.report.kpi_series
        self.out.write('<div class="kpi-charts">\n')
        self.out.writelines(kpi_chart.svg(k, series, self.face) + "\n" for k in b.report.facts.kpis)
        self.out.write("</div>\n")
