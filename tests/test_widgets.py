"""Widgets built without a browser: set values programmatically and check the answer they show."""

from __future__ import annotations

import pytest
from conftest import SAMPLES
from hiddenspof import inventory, model, whatif, widgets


@pytest.fixture(scope="module")
def teaching():
    """The teaching estate and its model, built once."""
    inv = inventory.load(SAMPLES["teaching"])
    return inv, model.build(inv)


def test_failure_explorer_updates_on_selection(teaching):
    """Choosing dc-harbour in the multi-select shows files-share unrecoverable and orders-db restored."""
    _, m = teaching
    ex = widgets.FailureExplorer(m)
    assert ex.result.down_assets == () and "Choose one or more" in ex.output.value
    ex.select.value = ("dc-harbour",)
    assert ex.result.unrecoverable == ("files-share",)
    assert ex.result.restored == (("orders-db", "orders-db-offsite", 1),)
    assert "Unrecoverable: files-share" in ex.output.value and "orders-db-offsite" in ex.output.value
    ex.select.value = ("acct-cloud",)
    assert ex.result.down_assets == () and "Unrecoverable: none" in ex.output.value
    # the widget answer is exactly the library's answer
    assert ex.result == whatif.failure_explorer(m, ["acct-cloud"])


def test_failure_explorer_search_filters_but_keeps_choice(teaching):
    """Typing in the search box narrows the options; chosen components stay chosen and the result is unchanged."""
    _, m = teaching
    ex = widgets.FailureExplorer(m)
    ex.select.value = ("ad-harbour",)
    before = ex.result
    ex.search.value = "cloud"
    values = [v for _, v in ex.select.options]
    assert "acct-cloud" in values and "ad-harbour" in values and "web-1" not in values
    assert ex.select.value == ("ad-harbour",) and ex.result == before
    ex.clear.click()
    assert ex.result.failed == () and ex.select.value == ()


def test_filter_options_is_case_insensitive():
    """filter_options matches labels case-insensitively and returns everything for a blank query."""
    opts = [("Web-1 (service)", "web-1"), ("acct (account)", "acct")]
    assert widgets.filter_options(opts, "WEB") == [opts[0]]
    assert widgets.filter_options(opts, "  ") == opts


def test_explorer_escapes_client_text(teaching):
    """Component ids are shown as text: markup in an explanation is escaped."""
    inv, m = teaching
    res = whatif.failure_explorer(m, ["dc-harbour"])
    html_text = widgets.explorer_html(res)
    assert "<b>dc-harbour</b>" in html_text and "-&gt;" in html_text


def test_separation_widget_repoint_and_flags(teaching):
    """Re-pointing files-nightly's in-place restore to dr-vm removes the site from files-share's common causes."""
    inv, m = teaching
    sep = widgets.SeparationWhatIf(inv, m)
    sep.backup.value = "files-nightly"
    assert list(sep.old.options) == ["bucket-offsite", sep.IN_PLACE]
    sep.old.value = sep.IN_PLACE
    sep.new.value = "dr-vm"
    sep.run_button.click()
    assert sep.result.asset == "files-share"
    assert "dc-harbour" in sep.result.removed_causes
    assert "restore files-nightly to dr-vm" in sep.output.value
    sep.action.value = "immutable"
    assert sep.change() == whatif.SetProtection("files-nightly", immutable=True)


def test_separation_widget_shows_errors(teaching):
    """An impossible change is reported in the output, not raised."""
    inv, m = teaching
    sep = widgets.SeparationWhatIf(inv, m)
    sep.backup.value = "orders-db-offsite"
    sep.old.value = "dr-vm"
    sep.new.value = "orders-db"
    sep.run()
    assert sep.result is None and "Cannot apply" in sep.output.value and "own asset" in sep.output.value


def test_capacity_widget_slider_shortens_makespan(teaching):
    """Doubling the nas-01 slider in a both-datastores scenario shortens the makespan shown."""
    _, m = teaching
    cap = widgets.CapacityWhatIf(m, scenarios={"both": ("files-share", "orders-db")}, chart=False)
    assert set(cap.sliders) == {"bucket-offsite", "nas-01"}
    before = cap.result.makespan_hours
    cap.sliders["nas-01"].value = 2.0
    assert cap.scale() == {"nas-01": 2.0}
    assert cap.result.makespan_hours < before
    assert f"Makespan {cap.result.makespan_hours:.2f} h" in cap.output.value


def test_capacity_widget_default_scenarios_and_chart(teaching):
    """By default the inventory's scenarios, one per site and restore_all are offered; the Gantt chart is drawn."""
    _, m = teaching
    cap = widgets.CapacityWhatIf(m)
    assert list(cap.scenarios) == ["Server room fire", "Domain admin compromise",
                                   "Ransomware on the office network", "site:dc-harbour", "restore_all"]
    assert 'class="hs-chart"' in cap.output.value
