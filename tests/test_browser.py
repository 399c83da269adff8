"""The HTML post-mortem as a browser shows it: headless Chromium renders it offline, to pixels and to a DOM."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from conftest import Workspace
from test_reports import scenario

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def find_chromium() -> str | None:
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    return next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)


CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Chromium not found (/usr/bin/chromium or chromium on PATH): apt-get install -y chromium; CI installs it",
)


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def decode_png(data: bytes) -> tuple[int, int, list[bytes], int]:
    """Width, height, unfiltered rows and bytes per pixel of an 8-bit RGB or RGBA PNG, with the standard library."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    position, compressed, header = 8, [], None
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            compressed.append(body)
        elif kind == b"IEND":
            break
    assert header is not None
    width, height, depth, color, _, _, interlace = header
    assert depth == 8 and interlace == 0 and color in (2, 6), f"unexpected PNG format {header}"
    bpp = 3 if color == 2 else 4
    raw = zlib.decompress(b"".join(compressed))
    stride = width * bpp
    previous = bytearray(stride)
    rows = []
    for y in range(height):
        start = y * (stride + 1)
        kind_of_filter = raw[start]
        line = bytearray(raw[start + 1 : start + 1 + stride])
        if kind_of_filter == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif kind_of_filter == 2:
            for i in range(stride):
                line[i] = (line[i] + previous[i]) & 255
        elif kind_of_filter == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 255
        elif kind_of_filter == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = previous[i]
                c = previous[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        else:
            assert kind_of_filter == 0, f"unknown PNG filter {kind_of_filter}"
        rows.append(bytes(line))
        previous = line
    return width, height, rows, bpp


@pytest.fixture
def report(workspace: Workspace, tmp_path: Path) -> Path:
    scenario(workspace, resolve=True)
    target = tmp_path / "postmortem.html"
    workspace.ok("postmortem", "INC-1", "--format", "html", "-o", str(target))
    return target


def test_chromium_renders_the_report_to_a_real_picture(report: Path, tmp_path: Path) -> None:
    picture = tmp_path / "postmortem.png"
    done = chromium(tmp_path, f"--screenshot={picture}", "--window-size=1200,1600", report.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    assert picture.is_file() and picture.stat().st_size > 10_000
    width, height, rows, bpp = decode_png(picture.read_bytes())
    assert (width, height) == (1200, 1600)
    pixels = {row[i : i + 3] for row in rows[::4] for i in range(0, len(row), bpp * 4)}
    assert len(pixels) > 100, "the screenshot is nearly uniform: the report did not render"
    inked = sum(1 for row in rows[::8] for i in range(0, len(row), bpp * 8) if row[i] + row[i + 1] + row[i + 2] < 600)
    assert inked / ((height // 8) * (width // 8)) > 0.02, "almost nothing drawn on the page"
    reds = [p for p in pixels if p[0] > 150 and p[1] < 90 and p[2] < 90]
    greens = [p for p in pixels if p[1] > p[0] + 40 and p[1] > p[2] + 30]
    assert reds, "no late-step red in the picture (badge, bar or overrun)"
    assert greens, "no on-time green in the picture"


def test_chromium_dom_holds_the_incident_title(report: Path, tmp_path: Path) -> None:
    done = chromium(tmp_path, "--dump-dom", report.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    assert "<h1>Checkout outage</h1>" in dom
    assert "Post-mortem INC-1: Checkout outage" in dom
    assert "<svg" in dom and "late by 20m" in dom
    assert "<script" not in dom.lower()
