"""The fleet index in a real browser (Debian's chromium), from file:// with the network blocked: sort and filter."""

from __future__ import annotations

import json

import pytest
from conftest import SAMPLES
from hiddenspof import analysis, fleet, inventory
from test_report_browser import browser, open_offline  # noqa: F401 - fixture and helper shared with the report tests

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def index_page(tmp_path_factory):
    """An index of seven environments (the samples under names that sort differently as text and naturally)."""
    results = [json.loads(analysis.dumps(analysis.analyze(inventory.load(p)))) for p in SAMPLES.values()]
    entries = []
    for i, n in enumerate([1, 2, 10, 11, 3, 20, 9]):
        e = fleet.environment_entry(results[i % len(results)])
        entries.append(dict(e, name=f"client seed {n}", slug=f"client-seed-{n}"))
    document = fleet.index_document(entries, [], None)
    folder = tmp_path_factory.mktemp("fleet")
    (folder / "index.html").write_text(fleet.index_html(document), encoding="utf-8")
    return folder / "index.html", document


def column(page, key: str) -> int:
    keys = page.eval_on_selector_all("#fleet thead tr:first-child th", "ths => ths.map(t => t.dataset.col)")
    return keys.index(key)


def visible(page, index: int) -> list[str]:
    return page.eval_on_selector_all(
        "#fleet tbody tr:not([hidden])", f"rows => rows.map(r => r.cells[{index}].textContent.trim())"
    )


def values(page, index: int) -> list[float]:
    return [float(v) for v in page.eval_on_selector_all(
        "#fleet tbody tr:not([hidden])", f"rows => rows.map(r => r.cells[{index}].dataset.v)")]


def test_index_sorts_and_filters_offline(index_page, browser):  # noqa: F811 - pytest fixture
    path, document = index_page
    seen = open_offline(browser, path)
    page = seen["page"]
    name = column(page, "environment")
    # opened ranked by fleet risk
    assert visible(page, name) == [e["name"] for e in document["environments"]]
    risk = column(page, "risk_points")
    assert values(page, risk) == sorted(values(page, risk), reverse=True)
    # names sort naturally (seed 2 before seed 10), and back
    page.click("#fleet thead th[data-col=environment] button")
    assert visible(page, name) == [f"client seed {n}" for n in (1, 2, 3, 9, 10, 11, 20)]
    page.click("#fleet thead th[data-col=environment] button")
    assert visible(page, name) == [f"client seed {n}" for n in (20, 11, 10, 9, 3, 2, 1)]
    # numbers sort as numbers
    page.click("#fleet thead th[data-col=risk_points] button")
    assert values(page, risk) == sorted(values(page, risk))
    # filter a text column, then a numeric one with a comparison
    page.fill(f"#fleet thead input[data-col='{name}']", "seed 1")
    assert sorted(visible(page, name), key=fleet.natural_key) == ["client seed 1", "client seed 10", "client seed 11"]
    assert page.inner_text("#shown") == "3 of 7"
    page.fill(f"#fleet thead input[data-col='{name}']", "")
    crit = column(page, "critical")
    page.fill(f"#fleet thead input[data-col='{crit}']", ">0")
    expected = sorted(e["name"] for e in document["environments"] if e["findings"]["critical"] > 0)
    assert sorted(visible(page, name)) == expected
    page.fill(f"#fleet thead input[data-col='{crit}']", "0")
    assert sorted(visible(page, name)) == sorted(e["name"] for e in document["environments"]
                                                 if e["findings"]["critical"] == 0)
    assert seen["blocked"] == [] and seen["errors"] == [] and seen["dialogs"] == []
    page.close()
