"""Self-check exercises for the teaching workshop: right or wrong with a hint, never the answer outright.

Every question's model answer is *computed* from the inventory by the same
library functions the notebooks use (``model.recover``, ``silent.score``,
``whatif.capacity_whatif``...), never stored, so the checks stay true if the
teaching estate changes and a facilitator can run them on another estate.

A learner types an answer into an exercise's box (or the notebook's
parameters cell): ids separated by commas, "and" or spaces, in any case; a
number with a decimal point or comma and an optional unit ("1,56", "1.5 h",
"90 min", "1:30"); or yes/no. An empty answer is "not answered yet", not
wrong. A wrong answer gets a hint: how many ids are right, which of
the learner's ids do not belong (they are the learner's own words), and a
question-specific pointer to the concept, but never the missing ids or the
number itself.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import networkx as nx
import pandas as pd

from . import model as model_mod
from . import silent, whatif
from .errors import HiddenspofError
from .inventory import Inventory, load

__all__ = ["QUESTIONS", "Question", "Check", "Score", "Workshop", "WorkshopError", "parse_answer", "check",
           "solution", "solution_text", "protected_assets", "redundancy_groups", "cycle_highlight",
           "backup_placement", "common_causes", "silent_totals"]

RIGHT, WRONG, EMPTY = "RIGHT", "NOT YET", "NO ANSWER"

#: hours per unit a learner may write after a number (``1.5 h``, ``90 min``, ``2 days``)
UNITS = {"h": 1.0, "hr": 1.0, "hrs": 1.0, "hour": 1.0, "hours": 1.0, "std": 1.0,
         "m": 1 / 60, "min": 1 / 60, "mins": 1 / 60, "minute": 1 / 60, "minutes": 1 / 60,
         "d": 24.0, "day": 24.0, "days": 24.0}


class WorkshopError(HiddenspofError, KeyError):
    """Raised for an unknown question id."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class Question:
    """One exercise: the prompt, the answer type (``ids``, ``id``, ``number``, ``yesno``), the solver and a hint."""

    id: str
    prompt: str
    kind: str
    solve: Callable[[Inventory, object], object]
    hint: str
    tolerance: float = 0.05  # relative, for numbers


@dataclass(frozen=True)
class Check:
    """The verdict on one answer; ``status`` is ``RIGHT``, ``NOT YET`` or ``NO ANSWER``."""

    question: str
    status: str
    message: str
    hint: str = ""

    @property
    def correct(self) -> bool:
        """True when the answer is right."""
        return self.status == RIGHT

    def __str__(self) -> str:
        text = f"[{self.status}] {self.question}: {self.message}"
        return text + (f" Hint: {self.hint}" if self.hint else "")

    def _repr_html_(self) -> str:
        colour = {RIGHT: "#2e7d32", WRONG: "#c62828", EMPTY: "#616161"}[self.status]
        hint = f"<br><i>Hint:</i> {html.escape(self.hint)}" if self.hint else ""
        return (f'<div class="hs-check" style="border-left:4px solid {colour};padding-left:8px">'
                f"<b>{self.status}</b> {html.escape(self.question)}: {html.escape(self.message)}{hint}</div>")

    def __repr__(self) -> str:
        return str(self)


# -- solvers (each uses the library, as the notebooks do) ----------------------------------------------------


def _assets(inv, m):
    return set(m.assets)


def _group_of_shop(inv, m):
    return {x for _, _, members in m.groups.get("shop-web", ()) for x in members}


def _cycle(inv, m):
    return {x for cyc in nx.simple_cycles(m.graph) for x in cyc}


def _fire_lost(inv, m):
    return set(m.recover(["dc-harbour"]).unrecoverable)


def _fire_backup(inv, m):
    return {r.backup for r in m.recover(["dc-harbour"]).restores if r.asset == "orders-db"}


def _files_common(inv, m):
    return set(whatif.asset_view(inv, "files-share", m).common_cause)


def _fix_site(inv, m):
    out = set()
    for b in m.backups_of["files-share"]:
        change = whatif.Repoint(b, m.backup[b].restore_to, "dr-vm")
        if "dc-harbour" in whatif.separation_whatif(inv, change).removed_causes:
            out.add(b)
    return out


def _untested(inv, m):
    return set(m.backup) - set(inv.restore_tests["backup"])


def _replica(inv, m):
    return {b for b, info in m.backup.items() if info.method == "replica"}


def _worst_silent(inv, m):
    scores = {b.id: b.score for b in silent.score(inv, m).backups}
    top = max(scores.values())
    return {b for b, s in scores.items() if s == top}


_BOTH = ("files-share", "orders-db")


def _bottleneck(inv, m):
    return set(whatif.capacity_whatif(m, _BOTH).bottlenecks)


def _makespan(inv, m):
    return whatif.capacity_whatif(m, _BOTH).makespan_hours


def _makespan_doubled(inv, m):
    return whatif.capacity_whatif(m, _BOTH, {"nas-01": 2.0}).makespan_hours


_QUESTIONS = [
    Question("intake.assets", "Which components are protected assets (some backup protects them)?", "ids",
             _assets, "Look at the 'protects' column of the backups table, not at the tiers."),
    Question("intake.group", "shop-web keeps running while at least one member of its redundancy group is up: "
             "which components form that group?", "ids", _group_of_shop,
             "Find the dependency rows of shop-web that share a 'group' label."),
    Question("intake.cycle", "Two components depend on each other (a dependency cycle): which?", "ids", _cycle,
             "Follow the dependency rows of the identity provider: what does it need, and what needs it?"),
    Question("coupling.fire_lost", "After a fire in the server room (dc-harbour fails) and every possible restore, "
             "which protected assets are still down?", "ids", _fire_lost,
             "A restore in place needs the asset's own dependencies; a restore elsewhere needs its target."),
    Question("coupling.fire_backup", "Which backup brings orders-db back after the fire?", "id", _fire_backup,
             "Which backup of orders-db is neither stored in nor restored into the server room?"),
    Question("coupling.files_common", "List every single component whose failure alone leaves files-share "
             "unrecoverable (its common causes).", "ids", _files_common,
             "Check the site, the identity provider and what the identity provider needs: each one alone."),
    Question("coupling.fix_site", "Which backup of files-share, if it restored to dr-vm instead, would remove "
             "dc-harbour from files-share's common causes?", "id", _fix_site,
             "A new restore target only helps if the backup itself does not live in the server room."),
    Question("silent.untested", "Which backup has never had a restore test?", "ids", _untested,
             "Compare the backups table with the restore_tests table."),
    Question("silent.replica", "Which backup copies deletions and corruption the moment they happen?", "ids",
             _replica, "Look at the 'method' column: one method mirrors changes as they happen."),
    Question("silent.worst", "Which backup has the highest silent-failure score?", "ids", _worst_silent,
             "Add up the factors: no restore test, weak verification and a coupled alert channel each cost points."),
    Question("capacity.bottleneck", "files-share and orders-db are restored at the same time: which component "
             "limits the restores?", "ids", _bottleneck,
             "Which backup store do both chosen backups read from, and what is its throughput?"),
    Question("capacity.makespan", "How many hours until both are restored (within 5 %)?", "number", _makespan,
             "Both restores share the store's throughput fairly; each is also capped by its backup's restore_mb_s."),
    Question("capacity.makespan_doubled", "With nas-01's throughput doubled, how many hours until both are "
             "restored (within 5 %)?", "number", _makespan_doubled,
             "Once the store is no longer the limit, each restore runs at its own restore_mb_s."),
]

#: Every question by id, in workshop order.
QUESTIONS: dict[str, Question] = {q.id: q for q in _QUESTIONS}


_NUMBER = re.compile(r"(\d+(?:[.,]\d+)*|[.,]\d+)\s*([^\W\d_]*)")
_ID_SEPARATORS = re.compile(r"(?:[,;\s+&/]|\band\b)+", re.IGNORECASE)


def _number(token: str) -> float:
    """``1,56`` and ``1.56`` are 1.56; ``1,560.5`` is 1560.5 (a comma with a point is a thousands separator)."""
    if "," in token and "." in token:
        token = token.replace(",", "")
    elif token.count(",") == 1:
        token = token.replace(",", ".")
    elif "," in token:
        raise ValueError(f"cannot read {token!r} as a number: write it like 1.56 or 1,56")
    return float(token)


def _hours(text: str) -> float:
    """A duration or plain number as a person writes it: ``1,56``, ``1.5 h``, ``90 min``, ``1 h 30 min``, ``1:30``."""
    body = text.strip().lower().lstrip("~≈").strip()
    body = re.sub(r"^(about|approx\.?|approximately|around|ca\.?)\s+", "", body)
    clock = re.fullmatch(r"(\d+):([0-5]\d)\s*(h|hours?)?", body)
    if clock:
        return int(clock.group(1)) + int(clock.group(2)) / 60
    parts = _NUMBER.findall(body)
    rest = _NUMBER.sub("", body).strip(" .")
    if not parts or rest:
        raise ValueError(f"expected a number such as 2.5 or 1,56 h (got {text!r})")
    if len(parts) > 1 and not all(unit for _, unit in parts):
        raise ValueError(f"give one number (got {text!r})")
    total = 0.0
    for number, unit in parts:
        if unit and unit not in UNITS:
            raise ValueError(f"{unit!r} is not a unit of time: write hours (h) or minutes (min) (got {text!r})")
        total += _number(number) * UNITS.get(unit, 1.0)
    return total


def parse_answer(text, kind: str):
    """A learner's answer as a value of the question's kind; None when empty.

    ``ids``/``id``: a set of ids split on commas, semicolons, "and", "&" and
    white space (quotes, brackets and a final full stop are ignored; the case
    is matched against the components by :func:`check`); ``number``: a float
    read as a person writes it (decimal comma, a unit of time such as ``h`` or
    ``min``, ``1:30``); ``yesno``: a bool. Raises ``ValueError`` with a message
    the learner can act on.
    """
    if text is None:
        return None
    if isinstance(text, (set, frozenset, list, tuple)):
        text = ", ".join(str(t) for t in text)
    if isinstance(text, (int, float)) and not isinstance(text, bool) and kind == "number":
        return float(text)
    text = str(text).strip()
    if not text:
        return None
    if kind in ("ids", "id"):
        tokens = (t.strip("'\"`()[]{}<>.:") for t in _ID_SEPARATORS.split(text))
        return {t for t in tokens if t}
    if kind == "number":
        return _hours(text)
    if kind == "yesno":
        low = text.lower().strip(" .!")
        if low in ("yes", "y", "true", "1"):
            return True
        if low in ("no", "n", "false", "0"):
            return False
        raise ValueError(f"expected yes or no (got {text!r})")
    raise ValueError(f"unknown answer kind {kind!r}")


def _canonical(given: set[str], ids) -> set[str]:
    """Each given id spelled as the component is (ids match in any case); unknown ones unchanged."""
    by_lower = {}
    for i in ids:
        by_lower.setdefault(i.lower(), i)
    return {g if g in ids else by_lower.get(g.lower(), g) for g in given}


def _question(question_id: str) -> Question:
    q = QUESTIONS.get(question_id)
    if q is None:
        raise WorkshopError(f"unknown question {question_id!r}: expected one of {', '.join(QUESTIONS)}")
    return q


def solution(question_id: str, inventory: Inventory, m=None):
    """The model answer of a question, computed from ``inventory`` (a set of ids or a number)."""
    q = _question(question_id)
    return q.solve(inventory, m or model_mod.build(inventory))


def solution_text(question_id: str, inventory: Inventory, m=None) -> str:
    """The model answer as a learner would type it: ids sorted and comma-separated, hours to 0.01.

    For a one-id question with several right answers they are joined by " or ".
    """
    q = _question(question_id)
    truth = solution(question_id, inventory, m)
    if q.kind == "number":
        return f"{truth:.2f}"
    if q.kind == "yesno":
        return "yes" if truth else "no"
    return (" or " if q.kind == "id" else ", ").join(sorted(truth))


def check(question_id: str, answer, inventory: Inventory, m=None) -> Check:
    """Check one answer against the model answer computed from ``inventory``.

    Parameters
    ----------
    question_id : str
        A key of ``QUESTIONS``.
    answer : str, number or collection of ids
        What the learner wrote; empty means "not answered yet".
    inventory : Inventory
    m : Model, optional
        ``model.build(inventory)``, built when not given.

    Returns
    -------
    Check
        ``RIGHT``; ``NOT YET`` with a hint that never gives the answer away;
        or ``NO ANSWER``.

    Raises
    ------
    WorkshopError
        For an unknown question id.
    """
    q = _question(question_id)
    try:
        given = parse_answer(answer, q.kind)
    except ValueError as exc:
        return Check(q.id, WRONG, f"{exc}.", q.hint)
    if given is None:
        return Check(q.id, EMPTY, f"{q.prompt} Type your answer in the box and press Check.")
    m = m or model_mod.build(inventory)
    truth = q.solve(inventory, m)
    if q.kind in ("ids", "id"):
        given = _canonical(given, m.kind)
    if q.kind == "number":
        if math.isclose(given, truth, rel_tol=q.tolerance, abs_tol=1e-9):
            return Check(q.id, RIGHT, "right.")
        side = "too high" if given > truth else "too low"
        return Check(q.id, WRONG, f"{given:g} is {side}.", q.hint)
    if q.kind == "id" and len(given) != 1:
        return Check(q.id, WRONG, f"give exactly one id (you gave {len(given)}).", q.hint)
    if given == truth or (q.kind == "id" and given <= truth):
        return Check(q.id, RIGHT, "right.")
    unknown = sorted(g for g in given if g not in m.kind)
    extra = sorted(g for g in given if g in m.kind and g not in truth)
    hits = len(given & truth)
    parts = []
    if unknown:
        parts.append("not component ids: " + ", ".join(unknown))
    if extra:
        parts.append("not part of the answer: " + ", ".join(extra))
    if q.kind == "ids":
        missing = len(truth - given)
        parts.append(f"{hits} of yours are right" + (f", {missing} more to find" if missing else ""))
    return Check(q.id, WRONG, "; ".join(parts) + ".", q.hint)


# -- what the reveals show (tables computed by the library, shown once an exercise is answered) ---------------


def protected_assets(m) -> pd.DataFrame:
    """One row per protected asset with the backups that protect it."""
    return pd.DataFrame([{"asset": a, "backups": ", ".join(m.backups_of[a])} for a in m.assets],
                        columns=["asset", "backups"])


def redundancy_groups(m, component: str) -> pd.DataFrame:
    """The redundancy groups of ``component``: label, how many members must be up, the members."""
    return pd.DataFrame([{"component": component, "group": g, "needs": n, "members": ", ".join(sorted(members))}
                         for g, n, members in m.groups.get(component, ())],
                        columns=["component", "group", "needs", "members"])


def cycle_highlight(m) -> pd.DataFrame:
    """``id``/``role`` rows marking every component on a dependency cycle (for ``dependency_graph(highlight=)``)."""
    ids = sorted({x for cyc in nx.simple_cycles(m.graph) for x in cyc})
    return pd.DataFrame({"id": ids, "role": ["on a dependency cycle"] * len(ids)}, columns=["id", "role"])


def backup_placement(m) -> pd.DataFrame:
    """Where each backup lives (what it stands on) and where its restore lands: the facts a recovery needs."""
    rows = []
    for b in sorted(m.backup):
        info = m.backup[b]
        rows.append({"backup": b, "protects": info.protects, "method": info.method,
                     "stored on / needs": ", ".join(m.dependencies_of(b)) or "nothing",
                     "restore lands on": info.restore_to or f"in place (needs what {info.protects} needs)"})
    return pd.DataFrame(rows, columns=["backup", "protects", "method", "stored on / needs", "restore lands on"])


def common_causes(inventory: Inventory, m, asset: str) -> pd.DataFrame:
    """Each common cause of ``asset`` with the dependency paths that explain it (``whatif.failure_explorer``)."""
    view = whatif.asset_view(inventory, asset, m)
    rows = [{"fails alone": c, "kind": m.kind[c],
             "why the asset stays down": "; ".join(whatif.failure_explorer(m, [c], schedule=False).explanations[asset])}
            for c in view.common_cause]
    return pd.DataFrame(rows, columns=["fails alone", "kind", "why the asset stays down"])


def silent_totals(result) -> pd.DataFrame:
    """Per backup: the sum of its factor points and its score (the sum capped at 100), saying when capped."""
    rows = []
    for b in sorted(result.backups, key=lambda b: (-b.score, b.id)):
        points = sum(f.points for f in b.factors)
        note = f"{points:g} points, capped at 100" if points > 100 else f"{points:g} points"
        rows.append({"backup": b.id, "protects": b.protects, "points": points, "score": b.score, "note": note})
    return pd.DataFrame(rows, columns=["backup", "protects", "points", "score", "note"])


@dataclass(frozen=True)
class Score:
    """A learner's score over the exercises asked so far: ``3 of 3 right``.

    ``shown`` counts exercises revealed with "show me" before an answer was
    given (looked up, not predicted); ``unanswered`` those with no answer yet.
    """

    right: int
    total: int
    shown: int = 0
    unanswered: int = 0

    def __str__(self) -> str:
        notes = []
        if self.unanswered:
            notes.append(f"{self.unanswered} not answered yet")
        if self.shown:
            notes.append(f"{self.shown} shown before answering")
        return f"{self.right} of {self.total} right" + (f" ({'; '.join(notes)})" if notes else "")

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return f'<div class="hs-score"><b>Your score:</b> {html.escape(str(self))}</div>'


@dataclass
class Workshop:
    """One learner's session on an estate: ask questions, check answers, keep the score.

    ``asked`` lists the questions of the exercises shown so far (the score's
    total), ``results`` the latest verdict per question, ``shown`` the
    questions revealed by "show me" before an answer.
    """

    inventory: Inventory
    model: object = None
    results: dict[str, Check] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)
    shown: set[str] = field(default_factory=set)
    _listeners: list = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        if self.model is None:
            self.model = model_mod.build(self.inventory)

    @classmethod
    def open(cls, path) -> Workshop:
        """Load the inventory at ``path`` and start a session."""
        return cls(load(path))

    def ask(self, question_id: str) -> str:
        """The prompt of a question (and count it in the score)."""
        q = _question(question_id)
        if q.id not in self.asked:
            self.asked.append(q.id)
            self._changed()
        return q.prompt

    def check(self, question_id: str, answer) -> Check:
        """Check an answer and remember the verdict (an empty answer leaves an earlier verdict alone)."""
        self.ask(question_id)
        result = check(question_id, answer, self.inventory, self.model)
        if result.status != EMPTY or question_id not in self.results:
            self.results[question_id] = result
        self._changed()
        return result

    def show(self, question_id: str) -> None:
        """Record that a question was revealed before it was answered."""
        self.ask(question_id)
        if question_id not in self.results or self.results[question_id].status == EMPTY:
            self.shown.add(question_id)
        self._changed()

    def solution(self, question_id: str) -> str:
        """The model answer as text, computed from this session's inventory."""
        return solution_text(question_id, self.inventory, self.model)

    def score(self) -> Score:
        """The score over the questions asked so far: ``k of n right``."""
        right = sum(1 for q in self.asked if q in self.results and self.results[q].correct)
        answered = sum(1 for q in self.asked if q in self.results and self.results[q].status != EMPTY)
        shown = sum(1 for q in self.asked if q in self.shown)
        return Score(right, len(self.asked), shown, len(self.asked) - answered - shown)

    def on_change(self, callback) -> None:
        """Call ``callback(self)`` whenever a verdict or the set of questions changes (the live score)."""
        self._listeners.append(callback)

    def _changed(self) -> None:
        for callback in self._listeners:
            callback(self)

    def exercise(self, questions, answers=(), reveal=None, *, interactive: bool = True):
        """A predict-then-reveal exercise (:class:`hiddenspof.widgets.Exercise`) for ``questions``.

        ``answers`` are the answers already given (the parameters cell), in
        the order of ``questions``; ``reveal`` builds what answers the exercise
        (a widget, table or chart) and is only called once every question has
        an answer or the learner presses "show me".
        """
        from .widgets import Exercise

        return Exercise(self, questions, answers, reveal, interactive=interactive)

    def scoreboard(self, *, interactive: bool = True):
        """The live score (:class:`hiddenspof.widgets.Scoreboard`), updated on every check."""
        from .widgets import Scoreboard

        return Scoreboard(self, interactive=interactive)


# -- solution notebooks ------------------------------------------------------------------------------------

SOLUTION_CELL_ID = "facilitator-solutions"


def solution_notebook(nb):
    """A facilitator's copy of a workshop notebook (an ``nbformat`` notebook) that answers every exercise.

    After the cell that opens the workshop (``ws = ...``) it inserts one cell
    setting each ``answer_*`` parameter to the model answer **computed by the
    library** (``ws.solution``), so the solutions follow the estate when it
    changes; run, every exercise checks ``RIGHT`` and opens its reveal.
    """
    import copy

    out = copy.deepcopy(nb)
    cells = out.cells
    params = next(c for c in cells if "parameters" in c.metadata.get("tags", []))
    names = re.findall(r"^(answer_\w+)\s*:", params.source, flags=re.MULTILINE)
    setup = next(i for i, c in enumerate(cells) if c.cell_type == "code" and "ws = workshop.Workshop" in c.source)
    uses = {}
    for c in cells[setup + 1:]:
        for qids, args in re.findall(r"ws\.exercise\(\s*(\[[^\]]*\]|\"[^\"]*\")\s*,\s*(\[[^\]]*\]|answer_\w+)",
                                     c.source):
            for q, a in zip(re.findall(r'"([^"]+)"', qids), re.findall(r"answer_\w+", args)):
                uses[a] = q
    missing = [n for n in names if n not in uses]
    if missing:
        raise WorkshopError(f"no exercise reads {', '.join(missing)}: cannot write its solution")
    lines = ["# Facilitator's solutions: every answer is computed from the inventory by the library,",
             "# so they stay right when the estate changes. Run All: every exercise checks RIGHT and opens."]
    lines += [f'{n} = {n} or ws.solution("{uses[n]}")' for n in names]
    import nbformat

    cell = nbformat.v4.new_code_cell("\n".join(lines))
    cell.id = SOLUTION_CELL_ID
    cells.insert(setup + 1, cell)
    first = cells[0]
    if first.cell_type == "markdown":
        first.source = re.sub(r"^# ", "# Solutions: ", first.source, count=1)
    return out


def write_solutions(workshop_dir) -> list:
    """Write ``solutions/NAME.ipynb`` for every workshop notebook in ``workshop_dir``; returns the paths."""
    from pathlib import Path

    import nbformat

    workshop_dir = Path(workshop_dir)
    (workshop_dir / "solutions").mkdir(exist_ok=True)
    written = []
    for path in sorted(workshop_dir.glob("[0-9]*.ipynb")):
        nb = solution_notebook(nbformat.read(path, as_version=4))
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.source = cell.source.replace('"../../data/', '"../../../data/')
        target = workshop_dir / "solutions" / path.name
        nbformat.write(nb, target)
        written.append(target)
    return written


if __name__ == "__main__":  # python -m hiddenspof.workshop solutions notebooks/workshop
    import sys

    if len(sys.argv) != 3 or sys.argv[1] != "solutions":
        sys.exit("usage: python -m hiddenspof.workshop solutions WORKSHOP_DIR")
    for p in write_solutions(sys.argv[2]):
        print(p)
