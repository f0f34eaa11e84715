"""The HTML report in a real headless Chromium: it renders with no script and no request,
shows people's text as text, draws the chart and prints."""
import re
import shutil
import struct
import subprocess

import pytest

from .conftest import export_text

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
