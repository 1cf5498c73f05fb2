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
    """Moving files-nightly's in-place restore to dr-vm removes the site from files-share's common causes."""
    inv, m = teaching
    sep = widgets.SeparationWhatIf(inv, m)
    sep.backup.value = "files-nightly"
    assert [v for _, v in sep.old.options] == [(sep.RESTORE, None), (sep.DEPENDENCY, "bucket-offsite")]
    sep.new.value = (sep.RESTORE, "dr-vm")
    sep.run_button.click()
    assert sep.result.asset == "files-share"
    assert "dc-harbour" in sep.result.removed_causes
    assert "restore files-nightly to dr-vm" in sep.output.value
    assert sep.result == whatif.separation_whatif(inv, whatif.Repoint("files-nightly", None, "dr-vm"))
    sep.action.value = "immutable"
    assert sep.change() == whatif.SetProtection("files-nightly", immutable=True)
    assert sep.output.value == "" and sep.result is None  # the old answer described another change


def test_separation_widget_starts_valid_and_untouched_changes_nothing(teaching):
    """Every dropdown starts on a real value describing today's setup; running it untouched reports no change."""
    inv, m = teaching
    sep = widgets.SeparationWhatIf(inv, m)
    assert sep.backup.value in m.backup and sep.old.value is not None and sep.new.value is not None
    b = sep.backup.value
    assert sep.old.value == (sep.RESTORE, m.backup[b].restore_to)
    assert sep.new.value == sep.old.value and sep.new.label.endswith("(now)")
    assert sep.change() is None
    sep.run_button.click()
    assert sep.result is None and "Nothing changes" in sep.output.value
    assert "survivability" not in sep.output.value
    # the same holds for every backup and every "From" choice: "To" starts on the current value
    for backup in sorted(m.backup):
        sep.backup.value = backup
        for _, old in sep.old.options:
            sep.old.value = old
            assert sep.new.value == old and sep.change() is None
        sep.action.value = "immutable"
        assert (sep.change() is None) == m.backup[backup].immutable


def test_separation_widget_new_backup_resets_form_and_clears_result(teaching):
    """Choosing another backup resets action, From and To to its current state and clears the old answer."""
    inv, m = teaching
    sep = widgets.SeparationWhatIf(inv, m)
    sep.backup.value = "files-nightly"
    sep.new.value = (sep.RESTORE, "dr-vm")
    sep.run()
    assert sep.result is not None and sep.output.value
    sep.action.value = "offline"
    sep.backup.value = "orders-db-offsite"
    assert sep.result is None and sep.output.value == ""
    assert sep.action.value == "re-point" and sep.repoint_box.layout.display is None
    assert sep.old.value == (sep.RESTORE, "dr-vm") and sep.new.value == (sep.RESTORE, "dr-vm")
    # a changed "From" also resets "To" and clears a shown answer
    sep.new.value = (sep.RESTORE, "web-1")
    sep.run()
    assert sep.result is not None
    sep.old.value = (sep.DEPENDENCY, "bucket-offsite")
    assert sep.new.value == (sep.DEPENDENCY, "bucket-offsite") and sep.result is None and sep.output.value == ""


def test_separation_targets_are_places_a_restore_can_land(teaching):
    """Restore targets offered: services, datastores, other hosts; never a site, account, region, provider or the asset."""
    inv, m = teaching
    sep = widgets.SeparationWhatIf(inv, m)
    for backup in sorted(m.backup):
        sep.backup.value = backup
        targets = [v[1] for _, v in sep.new.options if v[1] is not None]
        assert targets and m.backup[backup].protects not in targets
        assert all(m.kind[t] in widgets.RESTORE_TARGET_KINDS for t in targets), targets
        assert not {"acct-cloud", "dc-harbour"} & set(targets)
    assert {"account", "site", "region", "provider"}.isdisjoint(widgets.RESTORE_TARGET_KINDS)


def test_separation_repoint_dependency_to_a_new_separate_store(teaching):
    """A dependency is offered components of its own kind and a new, separate one, which the what-if creates."""
    inv, m = teaching
    sep = widgets.SeparationWhatIf(inv, m)
    sep.backup.value = "orders-db-offsite"
    sep.old.value = (sep.DEPENDENCY, "bucket-offsite")
    offered = [v for _, v in sep.new.options]
    assert offered == [(sep.DEPENDENCY, "bucket-offsite"), (sep.DEPENDENCY, "nas-01"), (sep.NEW, "backup_store")]
    sep.new.value = (sep.NEW, "backup_store")
    sep.run()
    assert sep.change() == whatif.Repoint("orders-db-offsite", "bucket-offsite", "new-backup-store",
                                          new_kind="backup_store")
    assert sep.result.asset == "orders-db" and "a new, separate backup store" in sep.output.value


def test_separation_widget_shows_errors(teaching, monkeypatch):
    """A change the library refuses is reported in the output, not raised."""
    inv, m = teaching
    sep = widgets.SeparationWhatIf(inv, m)
    sep.backup.value = "orders-db-offsite"
    sep.new.value = (sep.RESTORE, "web-1")

    def refuse(*_a, **_k):
        raise whatif.WhatIfError("restore_to of 'orders-db-offsite' cannot be its own asset")

    monkeypatch.setattr(whatif, "separation_whatif", refuse)
    sep.run()
    assert sep.result is None and "Cannot apply" in sep.output.value and "own asset" in sep.output.value


def test_failure_explorer_search_sends_options_and_selection_together(teaching):
    """Filtering sends the new options and the selection in one update, so the browser never holds a stale index."""
    _, m = teaching
    ex = widgets.FailureExplorer(m)
    ex.select.value = ("ad-harbour", "web-1")
    sent = []
    ex.select._send = lambda msg, buffers=None: sent.append(msg)
    ex.search.value = "cloud"
    assert [sorted(msg["state"]) for msg in sent] == [["_options_labels", "index"]]
    labels = sent[0]["state"]["_options_labels"]
    assert all(0 <= i < len(labels) for i in sent[0]["state"]["index"])
    assert set(ex.select.value) <= {v for _, v in ex.select.options}
    assert ex.select.value == ("ad-harbour", "web-1") and "Ctrl-click" in ex.help.value


def test_failure_explorer_starts_on_a_given_scenario(teaching):
    """failed= preselects components and shows their answer at once."""
    _, m = teaching
    ex = widgets.FailureExplorer(m, failed=["dc-harbour"])
    assert ex.select.value == ("dc-harbour",) and ex.result.unrecoverable == ("files-share",)


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


def test_capacity_gantt_axis_fits_the_bars_and_hovers(teaching):
    """The Gantt's hours axis fits 1.5 h bars (not the 24 h RTO), names off-axis RTOs, and bars carry hover text."""
    from hiddenspof.charts.capacity import restore_gantt

    _, m = teaching
    res = whatif.capacity_whatif(m, ("files-share", "orders-db"))
    spec = restore_gantt(res.restores).to_dict()
    top = spec["layer"][0]["encoding"]["x"]["scale"]["domain"][1]
    assert res.makespan_hours <= top < 2 * res.makespan_hours
    subtitle = spec["title"]["subtitle"]
    assert "files-share 24 h" in (" ".join(subtitle) if isinstance(subtitle, list) else subtitle)
    page = widgets.capacity_html(res)
    assert "<svg" in page and "<title>" in page and "backup: files-replica" in page


def test_table_html_keeps_full_text():
    """Tables show every character of long evidence (pandas would cut it at 50 characters)."""
    import pandas as pd

    long = "x" * 300 + " the end"
    frame = pd.DataFrame({"evidence": [long]})
    assert long in widgets.table_html(frame) and long in widgets.Table(frame)._repr_html_()
    assert long in repr(widgets.Table(frame))


def test_capacity_widget_default_scenarios_and_chart(teaching):
    """By default the inventory's scenarios, one per site and restore_all are offered; the Gantt chart is drawn."""
    _, m = teaching
    cap = widgets.CapacityWhatIf(m)
    assert list(cap.scenarios) == ["Server room fire", "Domain admin compromise",
                                   "Ransomware on the office network", "site:dc-harbour", "restore_all"]
    assert 'class="hs-chart hs-hover"' in cap.output.value


def test_exercise_reveals_nothing_until_answered(teaching):
    """Before an answer nothing is built; a wrong first answer gets a hint only; the second try opens the reveal."""
    from hiddenspof import workshop

    inv, m = teaching
    ws = workshop.Workshop(inv, m)
    built = []
    ex = ws.exercise("coupling.fire_lost", reveal=lambda: built.append(1) or widgets.FailureExplorer(m, failed=["dc-harbour"]))
    assert built == [] and ex.reveal_box.layout.display == "none" and ex.reveal_box.children == ()
    assert ex.text().startswith("[NO ANSWER]") and "files-share" not in ex.text()
    ex.submit()  # an empty box is not an answer
    assert not ex.revealed and "Type an answer first" in ex.feedback["coupling.fire_lost"].value
    ex.inputs["coupling.fire_lost"].value = "Orders-DB and shopz"  # a typo: flagged, no try used
    assert "cannot read" in ex.readback["coupling.fire_lost"].value
    ex.check_button.click()
    assert not ex.revealed and "[NOT READ]" in ex.text() and ws.tries == {}
    ex.inputs["coupling.fire_lost"].value = "Orders-DB"
    assert "read as: orders-db" in ex.readback["coupling.fire_lost"].value
    ex.check_button.click()
    assert built == [] and not ex.revealed and ex.reveal_box.layout.display == "none"
    assert "[NOT YET]" in ex.text() and "Hint:" in ex.text() and "One more try." in ex.text()
    assert "files-share" not in ex.text()
    ex.inputs["coupling.fire_lost"].value = "web-1"
    ex.check_button.click()
    assert built == [1] and ex.revealed and ex.reveal_box.layout.display is None
    revealed = " ".join(getattr(w, "value", "") for w in ex.reveal_box.children)
    assert "Answer" in revealed and "files-share" in revealed
    assert str(ws.score()) == "0 of 1 right"
    ex.inputs["coupling.fire_lost"].value = "FILES-SHARE"
    ex.check_button.click()
    assert built == [1] and str(ws.score()) == "0 of 1 right"  # typed after the reveal: not scored


def test_exercise_show_me_reveals_and_is_noted(teaching):
    """Show me opens the reveal at once; the score says the answer was shown, not predicted."""
    from hiddenspof import workshop

    inv, m = teaching
    ws = workshop.Workshop(inv, m)
    ex = ws.exercise("silent.replica", reveal=lambda: "<p>the methods</p>")
    ex.show_button.click()
    assert ex.revealed and ex.show_button.disabled
    assert str(ws.score()) == "0 of 1 right (1 shown before answering)"


def test_exercise_group_reveals_after_every_question(teaching):
    """Two questions in one exercise: the reveal waits for both answers."""
    from hiddenspof import workshop

    inv, m = teaching
    ws = workshop.Workshop(inv, m)
    ex = ws.exercise(["capacity.bottleneck", "capacity.files_back"], reveal=lambda: "<p>schedule</p>")
    ex.inputs["capacity.bottleneck"].value = ws.solution("capacity.bottleneck")
    ex.submit()
    assert not ex.revealed
    ex.inputs["capacity.files_back"].value = ws.solution("capacity.files_back").replace(".", ",")
    ex.submit()
    assert ex.revealed and str(ws.score()) == "2 of 2 right"


def test_exercise_show_me_and_score_notes(teaching):
    """Show me opens the reveal without an answer; the score says so and is plain text, not a quoted string."""
    from hiddenspof import workshop

    inv, m = teaching
    ws = workshop.Workshop(inv, m)
    board = ws.scoreboard()
    a = ws.exercise("silent.replica")
    ws.exercise("silent.untested", "files-nightly")
    assert repr(board) == "1 of 2 right (1 not answered yet)"
    a.show_button.click()
    assert a.revealed and a.show_button.disabled
    assert repr(board) == "1 of 2 right (1 shown before answering)"
    assert "1 of 2 right" in board.output.value and "'" not in repr(board)


def test_exercise_reads_answers_back_as_typed(teaching):
    """The box reads the answer as it is typed: decimal comma and units, ids and names in any case, typos flagged."""
    from hiddenspof import workshop

    inv, m = teaching
    ws = workshop.Workshop(inv, m)
    ex = ws.exercise(["capacity.files_back", "intake.group"])
    ex.inputs["capacity.files_back"].value = "1,56"
    assert "read as 1.56 h" in ex.readback["capacity.files_back"].value
    ex.inputs["capacity.files_back"].value = "1h30"
    assert "read as 1.5 h" in ex.readback["capacity.files_back"].value
    ex.inputs["capacity.files_back"].value = "5633 s"
    assert "read as 1.565 h" in ex.readback["capacity.files_back"].value
    ex.inputs["capacity.files_back"].value = "soon"
    assert "cannot read" in ex.readback["capacity.files_back"].value
    ex.inputs["intake.group"].value = "WEB-1 and webb-2"
    text = ex.readback["intake.group"].value
    assert "cannot read" in text and "webb-2" in text and "is not a component" in text
    ex.inputs["intake.group"].value = "Shop web server 1 -> web-2"
    assert "read as: web-1, web-2" in ex.readback["intake.group"].value
    assert not ex.revealed and ws.results == {}


def test_exercise_static_mode_for_papermill(teaching):
    """interactive=False shows the verdict as HTML and, once answered, the reveal as static HTML."""
    from hiddenspof import workshop

    inv, m = teaching
    ws = workshop.Workshop(inv, m)
    asked = ws.exercise("capacity.files_back", interactive=False, reveal=lambda: widgets.Table(workshop.protected_assets(m)))
    bundle = asked._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html"} and "hs-reveal" not in bundle["text/html"]
    done = ws.exercise("intake.assets", "files-share, orders-db", interactive=False,
                       reveal=lambda: widgets.Table(workshop.protected_assets(m)))
    page = done._repr_mimebundle_()["text/html"]
    assert "hs-reveal" in page and "files-nightly, files-replica" in page and "RIGHT" in page
