"""Rendered reports in a real browser (Debian's chromium via playwright), opened from file:// with the network blocked."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hiddenspof import report
from test_report import CLOSER, HOSTILE, write_estates

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    """One render of the hostile estate beside a broken one (every notebook), shared by the tests."""
    base = tmp_path_factory.mktemp("browser")
    good, bad = write_estates(base / "in")
    status = report.render([str(good), str(bad)], base / "out", progress=False)
    assert status == 1
    return base / "out"


@pytest.fixture(scope="module")
def browser():
    """Headless chromium from Debian, never a downloaded one (playwright gives it a fresh temporary profile)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("chromium missing: apt-get install -y chromium (make test does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def open_offline(browser, path: Path) -> dict:
    """Open ``path`` from file:// with every non-file/data/blob request aborted; collect what went wrong."""
    page = browser.new_page()
    seen = {"page": page, "blocked": [], "errors": [], "dialogs": []}

    def guard(route):
        url = route.request.url
        if url.startswith(("file:", "data:", "blob:")):
            route.continue_()
        else:
            seen["blocked"].append(url)
            route.abort()

    page.route("**/*", guard)
    page.on("console", lambda m: seen["errors"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
    page.goto(path.resolve().as_uri())
    page.wait_for_load_state("load")
    return seen


def test_index_opens_offline_and_shows_names_literally(rendered, browser):
    """index.html: no request leaves the machine, no console error, the hostile name is text, the failure is listed."""
    seen = open_offline(browser, rendered / "index.html")
    page = seen["page"]
    text = page.inner_text("body")
    assert f"Acme {HOSTILE} production" in text
    assert "Failed environments" in text and "spaceship" in text
    link = page.locator("table.environments a").first
    assert link.get_attribute("href").endswith("/report.html")
    assert seen["blocked"] == [] and seen["errors"] == [] and seen["dialogs"] == []
    page.close()


def test_report_charts_render_offline(rendered, browser):
    """report.html: every chart becomes a live SVG with marks, nothing fetched, no console error, no script run from client text."""
    slug = "acme-script-alert-1-script-production"
    seen = open_offline(browser, rendered / slug / "report.html")
    page = seen["page"]
    charts = page.locator("div.hs-chart")
    total = charts.count()
    assert total >= 2
    page.wait_for_function(
        "n => document.querySelectorAll('div.hs-chart svg .role-mark').length > 0 && "
        "document.querySelectorAll('div.hs-chart img.hs-chart-static').length === 0 && "
        "document.querySelectorAll('div.hs-chart svg.marks').length === n",
        arg=total,
        timeout=30_000,
    )
    marks = page.locator("div.hs-chart svg .role-mark path, div.hs-chart svg .role-mark rect").count()
    assert marks > 0
    text = page.inner_text("body")
    assert HOSTILE in text and CLOSER in text
    heat = page.locator("div.hs-chart svg", has_text=HOSTILE)
    assert heat.count() >= 1, "the heat map labels the asset by its hostile name, as text"
    assert page.locator("nav.hs-toc a").count() >= 3
    assert seen["blocked"] == [] and seen["errors"] == [] and seen["dialogs"] == []
    page.close()
