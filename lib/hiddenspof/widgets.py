"""ipywidgets for the notebooks: failure explorer, separation what-if, capacity what-if, workshop exercises.

Each explorer is a thin shell: its callbacks read the widget values, call the
same ``whatif`` functions the report and the tests use, and put the answer
into ``ipywidgets.HTML`` values (tables built by :func:`table_html` and
friends, charts as the offline static SVG of ``charts.chart_html``, or as an
inline SVG with hover text by :func:`hover_chart_html`). The latest answer is
kept on ``.result`` so tests can set widget values programmatically and check
the model change without a browser.

:class:`Exercise` is the workshop's *predict, then reveal* box: the learner
types an answer (read back as it is typed), presses Check and only then sees
the widget or chart that answers the question; "Show me" reveals it without
an answer. Nothing that gives the answer away is computed before that, so
"Run All" shows questions, never answers.
"""

from __future__ import annotations

import html
import re

import ipywidgets as W
import pandas as pd

from . import whatif
from .charts import chart_html, vegalite_version
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
    "table_html",
    "Table",
    "people_frame",
    "hover_chart_html",
    "RESTORE_TARGET_KINDS",
    "Exercise",
    "Scoreboard",
]

#: Kinds a restore can land on (something that runs the asset's data): never a
#: site, account, region or provider, which hold components but run nothing.
RESTORE_TARGET_KINDS = ("service", "datastore", "other")


def table_html(frame: pd.DataFrame, css: str = "hs-table") -> str:
    """An escaped HTML table with every cell's full text (client text is data, never markup; no "...")."""
    with pd.option_context("display.max_colwidth", None):
        return frame.to_html(index=False, escape=True, na_rep="", classes=css, border=0)


_table = table_html


#: Columns whose values are words of the inventory's vocabulary (``file_copy``): shown with spaces.
VOCABULARY_COLUMNS = ("method", "verification", "scope", "result", "factor", "status", "kind", "verdict")


def people_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` as people read it: ``presentation.text_frame`` (headers in words, units, a dash for missing
    values, never ``<NA>`` or ``None``) and vocabulary words with spaces (``file_copy`` -> ``file copy``)."""
    from .presentation import text_frame

    out = text_frame(frame)
    for raw, shown in zip(frame.columns, out.columns):
        if str(raw) in VOCABULARY_COLUMNS:
            out[shown] = [v.replace("_", " ") for v in out[shown]]
    return out


class Table:
    """A table shown in full in a notebook (no truncated cells, no row limit), as HTML and as plain text.

    Cells read as the report's do (``presentation.text_frame``): headers in
    words (``RTO``, ``Restore to``), numbers with their unit and thousands
    separators, yes/no, kinds in words, and a dash for a missing value (never
    ``<NA>`` or ``None``).
    """

    def __init__(self, frame: pd.DataFrame, css: str = "hs-table", *, people: bool = True) -> None:
        self.raw = frame
        self.frame = people_frame(frame) if people else frame
        self.css = css

    def _repr_html_(self) -> str:
        return table_html(self.frame, self.css)

    def __repr__(self) -> str:
        with pd.option_context("display.max_colwidth", None, "display.max_rows", None, "display.width", 10_000):
            return self.frame.to_string(index=False)


_ARIA_MARK = re.compile(r'<path aria-label="([^"]*)" role="graphics-symbol"([^>]*?)/>')


def hover_chart_html(chart) -> str:
    """A chart as inline SVG whose bars and points show their values on hover (no script, works offline).

    vl-convert draws the SVG; each mark's accessible label (built from the
    chart's tooltip fields) becomes an SVG ``<title>``, which browsers show as
    a tooltip. The SVG is inline (not an image) so the titles are reachable.
    """
    import vl_convert as vlc

    spec = chart if isinstance(chart, dict) else chart.to_dict()
    svg = vlc.vegalite_to_svg(spec, vl_version=vegalite_version())
    svg = _ARIA_MARK.sub(lambda mt: f'<path aria-label="{mt.group(1)}" role="graphics-symbol"{mt.group(2)}>'
                         f"<title>{mt.group(1).replace('; ', chr(10))}</title></path>", svg)
    svg = re.sub(r"^<\?xml[^>]*>\s*", "", svg)
    return f'<div class="hs-chart hs-hover">{svg}</div>'


def _schedule_columns(restores: pd.DataFrame) -> pd.DataFrame:
    """The schedule columns an analyst reads, hours rounded to 0.01."""
    cols = ["asset", "backup", "wave", "start_hours", "finish_hours", "rto_hours", "verdict"]
    return restores.loc[:, cols].round({"start_hours": 2, "finish_hours": 2, "rto_hours": 2})


def _count(n: int, noun: str) -> str:
    """``1 protected asset``, ``2 protected assets``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


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
        f"<p>Failing <b>{failed}</b> takes down {_count(len(result.down_assets), 'protected asset')}; "
        f"{len(result.restored)} restored, {len(result.unrecoverable)} unrecoverable.</p>",
        f'<p class="hs-unrecoverable">Unrecoverable: {lost}</p>',
        _table(people_frame(result.frame()), "hs-explorer-table"),
    ]
    if result.schedule is not None:
        parts.append("<p>Restore schedule when these restores run at once:</p>")
        parts.append(_table(people_frame(_schedule_columns(result.schedule.restores)), "hs-schedule-table"))
    parts.append("</div>")
    return "".join(parts)


def separation_html(result: whatif.SeparationResult) -> str:
    """The separation what-if's answer: the change and the before/after table."""
    from .presentation import threat_label

    frame = result.frame()
    frame["measure"] = [f"threat: {threat_label(x[len('threat: '):]).lower()}" if x.startswith("threat: ") else x
                        for x in frame["measure"]]
    return (f'<div class="hs-separation"><p>{html.escape(result.change.describe())}: asset '
            f"<b>{html.escape(result.asset)}</b></p>{_table(frame, 'hs-separation-table')}</div>")


def capacity_html(result: whatif.CapacityWhatIf, chart: bool = True) -> str:
    """The capacity what-if's answer: makespan, misses, the Gantt chart (static SVG) and the RTO table."""
    if result.restores.empty:
        return '<div class="hs-capacity"><p>This scenario needs no restore.</p></div>'
    misses = ", ".join(html.escape(a) for a in result.misses) or "none"
    untimed = sorted(result.restores.loc[result.restores["finish_hours"].isna(), "asset"])
    unknown = (f"; not timed (no throughput on the path, finish and RTO verdict unknown): "
               f"{html.escape(', '.join(untimed))}" if untimed else "")
    parts = ['<div class="hs-capacity">',
             f"<p>Makespan {result.makespan_hours:.2f} h{' (of the timed restores)' if untimed else ''}; "
             f"RTO missed by: {misses}{unknown}; "
             f"bottlenecks: {html.escape(', '.join(result.bottlenecks) or 'none')}</p>"]
    if chart:
        restores = result.restores.round({"start_hours": 2, "finish_hours": 2, "rto_hours": 2})
        parts.append("<p><i>Hover over a bar for its backup, wave, start and finish; the black tick is the RTO.</i></p>")
        parts.append(hover_chart_html(restore_gantt(restores, title="Restore schedule")))
    shown = result.restores.drop(columns=[c for c in ("meets_rto", "size_known", "tier", "timed") if c in result.restores])
    parts.append(_table(people_frame(shown), "hs-capacity-table"))
    parts.append("</div>")
    return "".join(parts)


class FailureExplorer:
    """Pick components to fail (searchable); see assets down, restore waves, unrecoverable assets with paths.

    ``search`` filters the multi-select ``select``; every change of the
    selection calls ``whatif.failure_explorer`` and refreshes ``output``.
    ``failed`` preselects components (a workshop reveal starts on its scenario).
    """

    HELP = ("Click a component to fail it; Ctrl-click (Cmd-click on a Mac) adds or removes one more, "
            "Shift-click a range. Type in Search to narrow the list: what you chose stays chosen.")

    def __init__(self, model: Model, schedule: bool = True, failed=()) -> None:
        self.model = model
        self.schedule = schedule
        names = dict(zip(model.inventory.components["id"], model.inventory.components["name"]))
        self.options = [(f"{c} ({model.kind[c]}: {names.get(c, c)})", c) for c in model.ids]
        self.search = W.Text(placeholder="search components", description="Search")
        self.select = W.SelectMultiple(options=self.options, rows=10, description="Fail",
                                       layout=W.Layout(width="60%"))
        self.clear = W.Button(description="Clear", tooltip="fail nothing")
        self.help = W.HTML(f'<p class="hs-help"><i>{html.escape(self.HELP)}</i></p>')
        self.output = W.HTML()
        self.result: whatif.ExplorerResult | None = None
        self._chosen: tuple[str, ...] = ()
        self._quiet = False
        self.search.observe(self._on_search, names="value")
        self.select.observe(self._on_select, names="value")
        self.clear.on_click(lambda _: self.set_failed(()))
        self.widget = W.VBox([self.help, W.HBox([self.search, self.clear]), self.select, self.output])
        if failed:
            self.set_failed(failed)
        else:
            self.update()

    def _show(self, options, value) -> None:
        """Replace the options and the selection in one message to the browser.

        The browser keeps the selection as indices into the options: sent
        apart, an old index would point past the new, shorter list ("Cannot
        set properties of undefined (setting 'selected')"). ``value`` must be a
        subset of ``options``.
        """
        self._quiet = True  # changing options resets the value: do not recompute for that
        try:
            with self.select.hold_sync():
                self.select.index = ()
                self.select.options = options
                self.select.value = tuple(value)
        finally:
            self._quiet = False

    def _on_search(self, change) -> None:
        keep = tuple(self._chosen)
        shown = filter_options(self.options, change["new"])
        ids = {v for _, v in shown}
        # chosen components stay chosen (and listed) even when the filter hides them
        self._show(shown + [o for o in self.options if o[1] in keep and o[1] not in ids], keep)

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
        finally:
            self._quiet = False
        self._show(self.options, failed)
        self._chosen = failed
        self.update()

    def update(self) -> None:
        """Recompute for the current selection and refresh the output."""
        self.result = whatif.failure_explorer(self.model, self._chosen, schedule=self.schedule)
        self.output.value = explorer_html(self.result)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def _label(model: Model, cid: str, names: dict) -> str:
    return f"{cid} ({model.kind[cid].replace('_', ' ')}: {names.get(cid, cid)})"


class SeparationWhatIf:
    """Pick a backup, move its restore target or re-point one of its dependencies, or mark it immutable/offline.

    The form always describes a real state: "From" lists where the backup's
    restore lands today and what the backup itself stands on; "To" starts on
    the current value of "From" (so running the form untouched changes
    nothing) and offers only sensible replacements: for the restore target,
    components a restore can land on (``RESTORE_TARGET_KINDS``, never an
    account, region or provider, nor the asset itself); for a dependency,
    other components of the same kind or a new, separate one. Choosing
    another backup resets the form and clears the old answer.

    ``run`` applies the change with ``whatif.separation_whatif`` and shows the
    asset's common causes, threat verdicts, survivability and silent score
    before and after.
    """

    IN_PLACE = "(restore in place)"
    RESTORE = "restore"  # the kind of a "From" value that is the backup's restore target
    DEPENDENCY = "dependency"
    NEW = "new"  # the kind of a "To" value that creates a new, separate component

    def __init__(self, inventory: Inventory, model: Model | None = None) -> None:
        from . import model as model_mod

        self.inventory = inventory
        self.model = model or model_mod.build(inventory)
        self._names = dict(zip(inventory.components["id"], inventory.components["name"]))
        backups = sorted(self.model.backup)
        self.backup = W.Dropdown(options=[(f"{b} (protects {self.model.backup[b].protects})", b) for b in backups],
                                 value=backups[0] if backups else None, description="Backup",
                                 layout=W.Layout(width="60%"), style={"description_width": "initial"})
        self.action = W.ToggleButtons(options=["re-point", "immutable", "offline"], value="re-point",
                                      description="Change")
        self.old = W.Dropdown(description="From", layout=W.Layout(width="48%"))
        self.new = W.Dropdown(description="To", layout=W.Layout(width="48%"))
        self.run_button = W.Button(description="Run what-if", button_style="primary")
        self.output = W.HTML()
        self.result: whatif.SeparationResult | None = None
        self._resetting = False
        self.backup.observe(lambda _: self.reset(), names="value")
        self.action.observe(lambda _: self._on_action(), names="value")
        self.old.observe(lambda _: self._refresh_new(), names="value")
        self.new.observe(lambda _: self._clear(), names="value")
        self.run_button.on_click(lambda _: self.run())
        self.repoint_box = W.HBox([self.old, self.new])
        self.widget = W.VBox([self.backup, self.action, self.repoint_box, self.run_button, self.output])
        self.reset()

    # -- the form ----------------------------------------------------------------------------------------

    def _clear(self) -> None:
        """Forget the answer on screen: it described another form."""
        if not self._resetting:
            self.result = None
            self.output.value = ""

    def reset(self) -> None:
        """Back to the current state of the chosen backup: re-point, From its restore target, To the same."""
        self._resetting = True
        try:
            self.action.value = "re-point"
            self.repoint_box.layout.display = None
            self.old.options = self.from_options()
            self.old.value = self.old.options[0][1] if self.old.options else None
            self._refresh_new()
        finally:
            self._resetting = False
        self.result = None
        self.output.value = ""

    def _on_action(self) -> None:
        self.repoint_box.layout.display = None if self.action.value == "re-point" else "none"
        self._clear()

    def from_options(self) -> list[tuple[str, tuple]]:
        """(label, (kind, id)) for the restore target, then each dependency of the backup."""
        b = self.backup.value
        if b is None:
            return []
        info = self.model.backup[b]
        if info.restore_to is None:
            first = (f"restore target: in place (where {info.protects} runs now)", (self.RESTORE, None))
        else:
            first = (f"restore target: {_label(self.model, info.restore_to, self._names)}",
                     (self.RESTORE, info.restore_to))
        deps = [(f"stored on / needs: {_label(self.model, d, self._names)}", (self.DEPENDENCY, d))
                for d in self.model.dependencies_of(b)]
        return [first, *deps]

    def to_options(self) -> list[tuple[str, tuple]]:
        """(label, (kind, id)) of what "From" may become; the current value first, marked "(now)"."""
        b = self.backup.value
        if b is None or self.old.value is None:
            return []
        kind, current = self.old.value
        info = self.model.backup[b]
        m = self.model
        if kind == self.RESTORE:
            here = (f"in place (where {info.protects} runs now)", (self.RESTORE, None))
            targets = [(_label(m, c, self._names), (self.RESTORE, c)) for c in m.ids
                       if m.kind[c] in RESTORE_TARGET_KINDS and c != info.protects]
            if current is None:
                return [(here[0] + " (now)", here[1]), *targets]
            now = [(f"{lab} (now)", v) for lab, v in targets if v[1] == current]
            if not now:  # today's target is of another kind: still offered, as it is the current state
                now = [(_label(m, current, self._names) + " (now)", (self.RESTORE, current))]
            return [*now, *[t for t in targets if t[1][1] != current]]
        k = m.kind[current]
        same = [(_label(m, c, self._names), (self.DEPENDENCY, c)) for c in m.ids
                if m.kind[c] == k and c not in (current, b)]
        return [(_label(m, current, self._names) + " (now)", (self.DEPENDENCY, current)), *same,
                (f"a new, separate {k.replace('_', ' ')} (shares nothing with the estate)", (self.NEW, k))]

    def _refresh_new(self) -> None:
        options = self.to_options()
        with self.new.hold_sync():
            self.new.options = options
            self.new.value = options[0][1] if options else None
        self._clear()

    def _fresh_id(self, kind: str) -> str:
        base = f"new-{kind.replace('_', '-')}"
        cid, n = base, 2
        while cid in self.model.kind:
            cid, n = f"{base}-{n}", n + 1
        return cid

    def change(self) -> whatif.Change | None:
        """The change the widget values describe; None when they describe the current state."""
        b = self.backup.value
        info = self.model.backup[b]
        if self.action.value == "immutable":
            return None if info.immutable else whatif.SetProtection(b, immutable=True)
        if self.action.value == "offline":
            return None if info.offline else whatif.SetProtection(b, offline=True)
        (_, old), (new_kind, new) = self.old.value, self.new.value
        if new_kind == self.NEW:
            return whatif.Repoint(b, old, self._fresh_id(new), new_kind=new)
        if new == old:
            return None
        return whatif.Repoint(b, old, new)

    def run(self) -> None:
        """Apply the change and show before/after (errors are shown, never raised into the notebook)."""
        try:
            change = self.change()
            if change is None:
                self.result = None
                self.output.value = ('<p class="hs-nochange">Nothing changes: this is how '
                                     f"{html.escape(str(self.backup.value))} is set up today. Choose another "
                                     '"To", or another change.</p>')
                return
            self.result = whatif.separation_whatif(self.inventory, change)
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


# -- workshop: predict, then reveal ----------------------------------------------------------------------


def _as_widget(item) -> W.Widget:
    """A reveal's part as a widget: widgets as they are, explorers by their ``.widget``, tables, charts, HTML."""
    if isinstance(item, W.Widget):
        return item
    if isinstance(getattr(item, "widget", None), W.Widget):
        return item.widget
    return W.HTML(_as_html(item))


def _as_html(item) -> str:
    """A reveal's part as static HTML (for notebooks run without widgets)."""
    if isinstance(item, str):
        return item
    if isinstance(item, pd.DataFrame):
        return table_html(item)
    if isinstance(item, W.HTML):
        return item.value
    output = getattr(item, "output", None)
    if isinstance(output, W.HTML):  # an explorer: its current answer
        return output.value
    if hasattr(item, "to_dict") and hasattr(item, "mark") or type(item).__module__.startswith("altair"):
        return chart_html(item.to_dict())
    if hasattr(item, "_repr_html_"):
        return item._repr_html_()
    return f"<pre>{html.escape(str(item))}</pre>"


class Exercise:
    """One workshop exercise, asked before it is answered: predict, a hint and a second try, then reveal.

    A text box per question reads the answer back as it is typed ("read as
    28.9 h", "read as: ad-harbour, dns-internal", or what cannot be read).
    *Check* judges every filled box with ``Workshop.check``: an unreadable
    answer or a flagged typo uses no try; a wrong one gets a hint and one
    more try; once every question is done (right, two tries, or *Show me*)
    the *reveal* appears: the model answers and the widget, table or chart
    that explains them. ``reveal`` is only called at that moment, so nothing
    that gives the answer away exists before.

    Parameters
    ----------
    ws : Workshop
    questions : str or sequence of str
        Question ids of ``workshop.QUESTIONS``.
    answers : str or sequence of str
        Answers given already (the notebook's parameters cell), in order; a
        non-empty one is checked at once, as a first try.
    reveal : callable, optional
        Returns what answers the exercise: a widget (or an explorer), a
        DataFrame, an altair chart, an HTML string, or a list of those.
    interactive : bool
        False shows a static HTML verdict (papermill reports, no widgets).
    """

    def __init__(self, ws, questions, answers=(), reveal=None, *, interactive: bool = True) -> None:
        from . import workshop

        self.ws = ws
        self.questions = (questions,) if isinstance(questions, str) else tuple(questions)
        answers = (answers,) if isinstance(answers, str) else tuple(answers)
        self.interactive = interactive
        self._reveal = reveal
        self.revealed = False
        self.content: list = []
        self.prompts = {q: W.HTML(f'<p class="hs-prompt"><b>{html.escape(workshop.label(q))}.</b> '
                                  f"{html.escape(ws.ask(q))}</p>") for q in self.questions}
        self.inputs = {q: W.Text(placeholder=self._placeholder(workshop.QUESTIONS[q].kind),
                                 continuous_update=True, layout=W.Layout(width="60%")) for q in self.questions}
        self.readback = {q: W.HTML() for q in self.questions}
        self.feedback = {q: W.HTML() for q in self.questions}
        self.check_button = W.Button(description="Check", button_style="primary",
                                     tooltip="check your answers: a hint and a second try if not yet right")
        self.show_button = W.Button(description="Show me", tooltip="show the answer without predicting")
        self.reveal_box = W.VBox(layout=W.Layout(display="none"))
        for q, box in self.inputs.items():
            box.observe(lambda change, q=q: self._read_back(q), names="value")
        self.check_button.on_click(lambda _: self.submit())
        self.show_button.on_click(lambda _: self.show())
        rows = []
        for q in self.questions:
            rows += [self.prompts[q], W.HBox([self.inputs[q], self.readback[q]]), self.feedback[q]]
        self.widget = W.VBox([*rows, W.HBox([self.check_button, self.show_button]), self.reveal_box],
                             layout=W.Layout(border="1px solid #ddd", padding="6px"))
        for q, text in zip(self.questions, answers):
            self.inputs[q].value = str(text or "")
        if any(str(a or "").strip() for a in answers):
            self.submit()

    @staticmethod
    def _placeholder(kind: str) -> str:
        return {"ids": "ids or names, separated by commas or 'and'", "id": "one component id or name",
                "number": "hours, e.g. 2.5, 2,5 h, 90 min or 1h30", "yesno": "yes or no"}.get(kind, "your answer")

    def _read_back(self, q: str) -> None:
        """Show how the answer being typed is read (never whether it is right)."""
        from . import workshop

        question = workshop.QUESTIONS[q]
        reading = workshop.read_answer(self.inputs[q].value, question.kind, self.ws.model)
        if not reading.readable:
            self.readback[q].value = ('<span class="hs-readback hs-unreadable">cannot read: '
                                      f"{html.escape('; '.join(reading.problems))}</span>")
        elif reading.value is None:
            self.readback[q].value = ""
        elif question.kind == "number":
            self.readback[q].value = f'<span class="hs-readback">read as {reading.value:.4g} h</span>'
        elif question.kind == "yesno":
            self.readback[q].value = f'<span class="hs-readback">read as {"yes" if reading.value else "no"}</span>'
        else:
            words = ", ".join(html.escape(i) for i in sorted(reading.value))
            self.readback[q].value = f'<span class="hs-readback">read as: {words}</span>'

    def checks(self) -> dict:
        """The latest verdict per question (``NO ANSWER`` for those not answered)."""
        from . import workshop

        out = {}
        for q in self.questions:
            out[q] = self.ws.results.get(q) or workshop.check(q, "", self.ws.inventory, self.ws.model)
        return out

    def submit(self) -> None:
        """Check every filled box (each a try, unless unreadable); reveal once every question is done."""
        for q in self.questions:
            self._read_back(q)
            if self.inputs[q].value.strip():
                result = self.ws.check(q, self.inputs[q].value)
                self.feedback[q].value = result._repr_html_()
            elif not self.ws.done(q):
                self.feedback[q].value = ('<div class="hs-check hs-waiting">Type an answer first '
                                          "(or press Show me).</div>")
        if all(self.ws.done(q) for q in self.questions):
            self.reveal()

    def show(self) -> None:
        """Reveal every question's answer without predicting (recorded as shown when not tried)."""
        for q in self.questions:
            self.ws.show(q)
        self.reveal()

    def reveal(self) -> None:
        """Build the reveal (once) and make it visible, with the model answers."""
        if self.revealed:
            return
        self.revealed = True
        from . import workshop

        answers = "".join(f"<li><b>{html.escape(workshop.label(q))}</b>: {html.escape(self.ws.answer(q))}</li>"
                          for q in self.questions)
        parts = [f'<div class="hs-answer"><b>Answer</b><ul>{answers}</ul></div>']
        made = self._reveal() if self._reveal is not None else []
        made = list(made) if isinstance(made, (list, tuple)) else [made]
        self.content = [*parts, *made]
        self.reveal_box.children = [W.HTML('<div class="hs-reveal"></div>'), *(_as_widget(x) for x in self.content)]
        self.reveal_box.layout.display = None
        self.show_button.disabled = True

    # -- display -----------------------------------------------------------------------------------------

    def text(self) -> str:
        """The verdicts as plain text, one line per question."""
        return "\n".join(str(c) for c in self.checks().values())

    def __repr__(self) -> str:
        return self.text()

    def static_html(self) -> str:
        """Verdicts and (once revealed) the reveal as static HTML."""
        parts = [c._repr_html_() for c in self.checks().values()]
        if self.revealed:
            parts.append('<div class="hs-reveal">' + "".join(_as_html(x) for x in self.content) + "</div>")
        return "".join(parts)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        if not self.interactive:
            return {"text/plain": self.text(), "text/html": self.static_html()}
        data = self.widget._repr_mimebundle_()
        data["text/plain"] = self.text()
        return data


class Scoreboard:
    """The learner's score, kept up to date as exercises are checked: "3 of 3 right"."""

    def __init__(self, ws, *, interactive: bool = True) -> None:
        self.ws = ws
        self.interactive = interactive
        self.output = W.HTML()
        self.widget = self.output
        ws.on_change(lambda _: self.update())
        self.update()

    def update(self) -> None:
        """Refresh from the workshop's verdicts."""
        self.output.value = self.ws.score()._repr_html_()

    def __repr__(self) -> str:
        return str(self.ws.score())

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        if not self.interactive:
            return {"text/plain": repr(self), "text/html": self.output.value}
        data = self.widget._repr_mimebundle_()
        data["text/plain"] = repr(self)
        return data
