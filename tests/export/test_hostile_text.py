"""Text people typed comes out inert in every format: no markup, no script, no link, no
terminal escape, no reordering, no formula — and still readable."""
import csv
import io
import json
import re

import pytest

from warroom.store.store import Store

from .conftest import HOSTILE, export_text, html_text, readable

INVISIBLE = ("\x1b", "\x07", "\x9b", "\u202e", "\u202c", "\r")

@pytest.fixture(scope="module")
def outputs(hostile_db):
    return {fmt: export_text(hostile_db, fmt) for fmt in ("md", "html", "json", "csv")}


@pytest.mark.parametrize("fmt", ["md", "html", "json", "csv"])
def test_no_control_character_or_bidi_override_reaches_the_reader(outputs, fmt):
    for char in INVISIBLE:
        assert char not in outputs[fmt].replace("\r\n", "\n"), (fmt, repr(char))


@pytest.mark.parametrize("fmt", ["md", "html", "csv"])
def test_controls_are_shown_not_obeyed_and_the_rest_is_kept(outputs, fmt):
    output = readable(fmt, outputs[fmt])
    assert "␛[31mRED␛[0m" in output and "␇bell" in output and "⟨U+009B⟩csi" in output
    assert "⟨U+202E⟩evil⟨U+202C⟩" in output
    assert "🚀 مرحبا بالعالم" in output


def test_markdown_escapes_everything_that_would_be_markup(outputs):
    md = outputs["md"]
    assert re.search(r"(?<!\\)[<>\[\]`&$|]", md.replace("| ", "").replace(" |", "")) is None
    assert "\\<script\\>alert(\"x\")\\</script\\>" in md and "\\[link\\](javascript:alert(1))" in md
    assert "!\\[img\\](http" in md and "\\*star\\*" in md and "\\_under\\_" in md and "\\`tick\\`" in md
    assert "\\&amp;" in md and "\\$x\\$" in md and "\\[bold red\\]boom\\[/\\]" in md


def test_markdown_text_never_breaks_a_line_or_a_table(outputs):
    md = outputs["md"]
    assert "a,b ↵ second line ↵ third" in md
    for line in md.splitlines():
        assert not line.startswith(("second line", "third")), line
    runbook = md[md.index("| Step | Phase"):].split("\n\n")[0].splitlines()
    assert len({line.replace("\\|", "").count("|") for line in runbook}) == 1


def test_html_has_no_element_from_the_text_and_shows_it_verbatim(outputs):
    text, tags = html_text(outputs["html"])
    assert {"script", "a", "img", "iframe", "object"}.isdisjoint(tags)
    assert set(tags) <= {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p", "dl", "dt", "dd",
                         "ul", "li", "table", "thead", "tbody", "tr", "th", "td", "span", "div", "strong", "wbr",
                         "svg", "line", "text", "rect", "tspan", "polyline", "circle"}
    assert '<script>alert("x")</script> [bold red]boom[/]' in text
    assert "a,b\nsecond line\nthird" in text
    assert "Content-Security-Policy" in outputs["html"] and "default-src 'none'" in outputs["html"]


def test_json_keeps_the_text_exactly_and_inert(outputs):
    raw = outputs["json"]
    assert "<script" not in raw and "\\u003cscript\\u003e" in raw
    report = json.loads(raw)
    note = next(e for e in report["journal"] if e["action"] == "note" and e["payload"]["text"].startswith("<script"))
    assert note["payload"]["text"] == HOSTILE
    assert note["operator"] == f"Mallory {HOSTILE}"
    assert report["state"]["decisions"][0]["decided_by"] == HOSTILE


def test_csv_keeps_its_shape_and_neutralises_formulas(outputs, hostile_db):
    rows = list(csv.DictReader(io.StringIO(outputs["csv"], newline="")))
    with Store(hostile_db, "reader") as store:
        assert len(rows) == store.conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    assert all(len(row) == 13 for row in rows)
    by_operator = {row["operator"] for row in rows}
    neutralised = {"'=SUM(1+1)", "'+33 6 00", "'-2+3", "'@SUM(A1)", "'\tTAB", "'  =HYPERLINK(1)"}
    assert neutralised | {"␍CR"} <= by_operator  # a carriage return is shown, not kept
    note = next(r for r in rows if r["what"].startswith("Note (retro): <script>"))
    assert "a,b\nsecond line\nthird" in note["what"]
    assert json.loads(note["payload"])["text"] == HOSTILE
    for row in rows:
        for value in row.values():
            assert not value.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r")), value


def test_a_long_word_wraps_in_html_without_a_mark_in_it():
    """A URL pasted as evidence must copy back whole: its break points are <wbr>, invisible."""
    from warroom.export.render_html import breakable

    url = "https://grafana.example.com/d/checkout-overview?orgId=1&from=now-6h"
    shown = breakable(f"dashboard {url} ok \x1b <b>")
    assert "␀" not in shown and "<wbr>" in shown
    assert shown.replace("<wbr>", "") == f"dashboard {url.replace('&', '&amp;')} ok ␛ &lt;b&gt;"
