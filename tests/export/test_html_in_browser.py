"""The HTML report in a real headless Chromium: it renders with no script and no request,
shows people's text as text, draws the charts and prints."""
import re
import shutil
import struct
import subprocess

import pytest

from .conftest import AFTER_NOW, export_text

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium(tmp_path, *args) -> subprocess.CompletedProcess:
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, timeout=120, check=True)


@pytest.fixture
def page(hostile_db, tmp_path):
    path = tmp_path / "report.html"
    path.write_text(export_text(hostile_db, "html"), encoding="utf-8")
    return path


def test_the_browser_builds_no_script_link_or_image_and_shows_the_text(page, tmp_path):
    dom = chromium(tmp_path, "--dump-dom", page.as_uri()).stdout.decode("utf-8")
    assert "<script" not in dom and not re.search(r"<(a|img|iframe|object|embed|link)\b", dom)
    assert not re.search(r"\s(src|href|on\w+)=", dom)
    assert "&lt;script&gt;alert(\"x\")&lt;/script&gt; [bold red]boom[/] ␛[31mRED" in dom
    assert dom.count('<rect class="planned"') >= 5 and '<rect class="incident sev1"' in dom


def test_the_page_renders_and_prints(page, tmp_path):
    shot, pdf = tmp_path / "page.png", tmp_path / "page.pdf"
    chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,2400", page.as_uri())
    header = shot.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", header[16:24]) == (1280, 2400)
    chromium(tmp_path, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", page.as_uri())
    document = pdf.read_bytes()
    assert document.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b", document)) >= 2


def test_the_kpis_before_and_after_are_in_the_page_with_a_chart_each(after_day, tmp_path):
    page = tmp_path / "after.html"
    page.write_text(export_text(after_day, "html", now=AFTER_NOW), encoding="utf-8")
    dom = chromium(tmp_path, "--dump-dom", page.as_uri()).stdout.decode("utf-8")
    for figures in ("<td>baseline 60% (measured 60%, 2 readings)",
                    "<td>67% (mean of 2 readings, last 68%)",
                    "<td>+7 pts, +11.7% (after)</td>", "<td>measured 6.5 /h (2 readings)</td>",
                    "<td>+23.1% (during)</td>"):
        assert figures in dom, figures
    charts = re.findall(r'<svg [^>]*class="kpi".*?</svg>', dom, re.S)
    assert len(charts) == 2
    for chart in charts:
        assert len(re.findall(r'<line class="golive"', chart)) == 1 and ">H</text>" in chart
        assert '<line class="target"' in chart and '<line class="before"' in chart
    conv, tickets = charts
    assert ('aria-label="Conversion: before 60% (baseline); during the day mean 63% of 2; after mean 67% of 2, '
            'change +11.7%; target 65% (higher is better): met; its source failed 3 time(s)"') in conv
    assert conv.count('<circle class="reading"') == 6 and conv.count('<rect class="failed-run"') == 3
    assert tickets.count('<circle class="reading"') == 3 and "failed-run" not in tickets
