"""ipywidgets explorers for the notebooks: failure explorer, separation what-if, capacity what-if.

Each explorer is a thin shell: its callbacks read the widget values, call the
same ``whatif`` functions the report and the tests use, and put the answer
into ``ipywidgets.HTML`` values (tables built by :func:`result_html` and
friends, charts as the offline static SVG of ``charts.chart_html``). The
latest answer is kept on ``.result`` so tests can set widget values
programmatically and check the model change without a browser.
"""

from __future__ import annotations

import html

import ipywidgets as W
import pandas as pd

from . import whatif
from .charts import chart_html
from .charts.capacity import restore_gantt
from .inventory import Inventory
from .model import Model

__all__ = [
    "FailureExplorer",
    "SeparationWhatIf",
    "CapacityWhatIf",
    "explorer_html",
    "separation_html",
    "capacity_html",
    "filter_options",
]


def _table(frame: pd.DataFrame, css: str) -> str:
    """An escaped HTML table (client text is data, never markup)."""
    return frame.to_html(index=False, escape=True, na_rep="", classes=css, border=0)


def _schedule_columns(restores: pd.DataFrame) -> pd.DataFrame:
    """The schedule columns an analyst reads, hours rounded to 0.01."""
    cols = ["asset", "backup", "wave", "start_hours", "finish_hours", "rto_hours", "verdict"]
    return restores.loc[:, cols].round({"start_hours": 2, "finish_hours": 2, "rto_hours": 2})


def filter_options(options: list[tuple[str, str]], query: str) -> list[tuple[str, str]]:
    """The (label, id) options whose label contains ``query`` (case-insensitive); all for an empty query."""
    q = query.strip().lower()
    return [o for o in options if q in o[0].lower()] if q else list(options)


def explorer_html(result: whatif.ExplorerResult) -> str:
    """The failure explorer's answer: a headline, one row per asset down, and the restore schedule."""
    if not result.failed:
        return '<div class="hs-explorer"><p>Choose one or more components to fail.</p></div>'
    failed = ", ".join(html.escape(f) for f in result.failed)
    if not result.down_assets:
        return (f'<div class="hs-explorer"><p>Failing <b>{failed}</b> takes no protected asset down.</p>'
                '<p class="hs-unrecoverable">Unrecoverable: none</p></div>')
    lost = ", ".join(html.escape(a) for a in result.unrecoverable) or "none"
    parts = [
        '<div class="hs-explorer">',
        f"<p>Failing <b>{failed}</b> takes down {len(result.down_assets)} protected asset(s); "
        f"{len(result.restored)} restored, {len(result.unrecoverable)} unrecoverable.</p>",
        f'<p class="hs-unrecoverable">Unrecoverable: {lost}</p>',
        _table(result.frame(), "hs-explorer-table"),
    ]
    if result.schedule is not None:
        parts.append("<p>Restore schedule when these restores run at once:</p>")
        parts.append(_table(_schedule_columns(result.schedule.restores), "hs-schedule-table"))
    parts.append("</div>")
    return "".join(parts)


def separation_html(result: whatif.SeparationResult) -> str:
    """The separation what-if's answer: the change and the before/after table."""
    return (f'<div class="hs-separation"><p>{html.escape(result.change.describe())}: asset '
            f"<b>{html.escape(result.asset)}</b></p>{_table(result.frame(), 'hs-separation-table')}</div>")


def capacity_html(result: whatif.CapacityWhatIf, chart: bool = True) -> str:
    """The capacity what-if's answer: makespan, misses, the Gantt chart (static SVG) and the RTO table."""
    if result.restores.empty:
        return '<div class="hs-capacity"><p>This scenario needs no restore.</p></div>'
    misses = ", ".join(html.escape(a) for a in result.misses) or "none"
    parts = ['<div class="hs-capacity">',
             f"<p>Makespan {result.makespan_hours:.2f} h; RTO missed by: {misses}; "
             f"bottlenecks: {html.escape(', '.join(result.bottlenecks) or 'none')}</p>"]
    if chart:
        parts.append(chart_html(restore_gantt(result.restores, title="Restore schedule").to_dict()))
    parts.append(_table(result.restores.round(2), "hs-capacity-table"))
    parts.append("</div>")
    return "".join(parts)


class FailureExplorer:
    """Pick components to fail (searchable); see assets down, restore waves, unrecoverable assets with paths.

    ``search`` filters the multi-select ``select``; every change of the
    selection calls ``whatif.failure_explorer`` and refreshes ``output``.
    """

    def __init__(self, model: Model, schedule: bool = True) -> None:
        self.model = model
        self.schedule = schedule
        names = dict(zip(model.inventory.components["id"], model.inventory.components["name"]))
        self.options = [(f"{c} ({model.kind[c]}: {names.get(c, c)})", c) for c in model.ids]
        self.search = W.Text(placeholder="search components", description="Search")
        self.select = W.SelectMultiple(options=self.options, rows=10, description="Fail",
                                       layout=W.Layout(width="60%"))
        self.clear = W.Button(description="Clear", tooltip="fail nothing")
        self.output = W.HTML()
        self.result: whatif.ExplorerResult | None = None
        self._chosen: tuple[str, ...] = ()
        self._quiet = False
        self.search.observe(self._on_search, names="value")
        self.select.observe(self._on_select, names="value")
        self.clear.on_click(lambda _: self.set_failed(()))
        self.widget = W.VBox([W.HBox([self.search, self.clear]), self.select, self.output])
        self.update()

    def _on_search(self, change) -> None:
        keep = tuple(self._chosen)
        shown = filter_options(self.options, change["new"])
        ids = {v for _, v in shown}
        self._quiet = True  # changing options resets the value: do not recompute for that
        try:
            # chosen components stay chosen (and listed) even when the filter hides them
            self.select.options = shown + [o for o in self.options if o[1] in keep and o[1] not in ids]
            self.select.value = keep
        finally:
            self._quiet = False

    def _on_select(self, change) -> None:
        if self._quiet:
            return
        self._chosen = tuple(sorted(change["new"]))
        self.update()

    def set_failed(self, failed) -> None:
        """Select exactly ``failed`` (as clicks would); unknown ids raise ``UnknownComponentError``."""
        failed = tuple(sorted(failed))
        self.model.down(failed)  # checks the ids, naming unknown ones
        self._quiet = True
        try:
            self.search.value = ""
            self.select.options = self.options
            self.select.value = failed
        finally:
            self._quiet = False
        self._chosen = failed
        self.update()

    def update(self) -> None:
        """Recompute for the current selection and refresh the output."""
        self.result = whatif.failure_explorer(self.model, self._chosen, schedule=self.schedule)
        self.output.value = explorer_html(self.result)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


class SeparationWhatIf:
    """Pick a backup, re-point one of its dependencies (or its restore target), or mark it immutable/offline.

    ``run`` applies the change with the ``whatif`` functions and shows the
    asset's common causes, threat verdicts, survivability and silent score
    before and after.
    """

    IN_PLACE = "(restore in place)"

    def __init__(self, inventory: Inventory, model: Model | None = None) -> None:
        from . import model as model_mod

        self.inventory = inventory
        self.model = model or model_mod.build(inventory)
        self.backup = W.Dropdown(options=sorted(self.model.backup), description="Backup")
        self.action = W.ToggleButtons(options=["re-point", "immutable", "offline"], value="re-point",
                                      description="Change")
        self.old = W.Dropdown(description="From")
        self.new = W.Dropdown(options=list(self.model.ids), description="To")
        self.run_button = W.Button(description="Run what-if", button_style="primary")
        self.output = W.HTML()
        self.result: whatif.SeparationResult | None = None
        self.backup.observe(lambda _: self._refresh_old(), names="value")
        self.run_button.on_click(lambda _: self.run())
        self._refresh_old()
        self.widget = W.VBox([self.backup, self.action, W.HBox([self.old, self.new]), self.run_button, self.output])

    def _refresh_old(self) -> None:
        b = self.backup.value
        if b is None:
            self.old.options = []
            return
        info = self.model.backup[b]
        deps = list(self.model.dependencies_of(b))
        target = info.restore_to if info.restore_to is not None else self.IN_PLACE
        self.old.options = deps + [target]

    def change(self) -> whatif.Change:
        """The change the widget values describe."""
        b = self.backup.value
        if self.action.value == "immutable":
            return whatif.SetProtection(b, immutable=True)
        if self.action.value == "offline":
            return whatif.SetProtection(b, offline=True)
        old = None if self.old.value == self.IN_PLACE else self.old.value
        return whatif.Repoint(b, old, self.new.value)

    def run(self) -> None:
        """Apply the change and show before/after (errors are shown, never raised into the notebook)."""
        try:
            self.result = whatif.separation_whatif(self.inventory, self.change())
        except whatif.WhatIfError as exc:
            self.result = None
            self.output.value = f'<p class="hs-error">Cannot apply: {html.escape(str(exc))}</p>'
            return
        self.output.value = separation_html(self.result)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


class CapacityWhatIf:
    """A scenario picker and a multiplier slider per constrained component; the Gantt chart and RTO verdicts update."""

    def __init__(self, model: Model, scenarios: dict[str, tuple[str, ...]] | None = None, chart: bool = True) -> None:
        self.model = model
        self.chart = chart
        if scenarios is None:  # the capacity analysis's own scenarios: declared, then each site and region
            from . import capacity

            scenarios = {name: tuple(failed) for name, _, failed in capacity.scenario_failures(model)}
        if not scenarios:
            scenarios = {"every asset at once": tuple(model.assets)}
        self.scenarios = scenarios
        self.scenario = W.Dropdown(options=list(scenarios), description="Scenario")
        self.sliders = {
            c: W.FloatSlider(value=1.0, min=0.25, max=4.0, step=0.25, description=c,
                             continuous_update=False, readout_format=".2f",
                             style={"description_width": "initial"})
            for c in whatif.constrained_components(model)
        }
        self.output = W.HTML()
        self.result: whatif.CapacityWhatIf | None = None
        self.scenario.observe(lambda _: self.update(), names="value")
        for s in self.sliders.values():
            s.observe(lambda _: self.update(), names="value")
        self.widget = W.VBox([self.scenario, *self.sliders.values(), self.output])
        self.update()

    def scale(self) -> dict[str, float]:
        """The multipliers currently set (only those different from 1)."""
        return {c: float(s.value) for c, s in self.sliders.items() if s.value != 1.0}

    def update(self) -> None:
        """Re-simulate the chosen scenario with the slider multipliers."""
        failed = self.scenarios[self.scenario.value]
        self.result = whatif.capacity_whatif(self.model, failed, self.scale())
        self.output.value = capacity_html(self.result, chart=self.chart)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
