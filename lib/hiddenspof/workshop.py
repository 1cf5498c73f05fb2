"""Self-check exercises for the teaching workshop: right or wrong with a hint, never the answer outright.

Every question's model answer is *computed* from the inventory by the same
library functions the notebooks use (``model.recover``, ``silent.score``,
``whatif.capacity_whatif``...), never stored, so the checks stay true if the
teaching estate changes and a facilitator can run them on another estate.

A learner writes an answer as text in the notebook's parameters cell (ids
separated by commas, a number, or yes/no); an empty answer is "not answered
yet", not wrong. A wrong answer gets a hint: how many ids are right, which of
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

from . import model as model_mod
from . import silent, whatif
from .errors import HiddenspofError
from .inventory import Inventory, load

__all__ = ["QUESTIONS", "Question", "Check", "Workshop", "WorkshopError", "parse_answer", "check"]

RIGHT, WRONG, EMPTY = "RIGHT", "NOT YET", "NO ANSWER"


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


def parse_answer(text, kind: str):
    """A learner's answer as a value of the question's kind; None when empty.

    ``ids``/``id``: a set of ids split on commas, semicolons and white space;
    ``number``: a float (a unit such as ``h`` is ignored); ``yesno``: a bool.
    Raises ``ValueError`` with a message the learner can act on.
    """
    if text is None:
        return None
    if isinstance(text, (set, frozenset, list, tuple)):
        text = ", ".join(str(t) for t in text)
    text = str(text).strip()
    if not text:
        return None
    if kind in ("ids", "id"):
        return {t for t in re.split(r"[,;\s]+", text) if t}
    if kind == "number":
        m = re.match(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?", text)
        if not m:
            raise ValueError(f"expected a number such as 2.5 (got {text!r})")
        return float(m.group(0))
    if kind == "yesno":
        low = text.lower()
        if low in ("yes", "y", "true", "1"):
            return True
        if low in ("no", "n", "false", "0"):
            return False
        raise ValueError(f"expected yes or no (got {text!r})")
    raise ValueError(f"unknown answer kind {kind!r}")


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
    q = QUESTIONS.get(question_id)
    if q is None:
        raise WorkshopError(f"unknown question {question_id!r}: expected one of {', '.join(QUESTIONS)}")
    try:
        given = parse_answer(answer, q.kind)
    except ValueError as exc:
        return Check(q.id, WRONG, f"{exc}.", q.hint)
    if given is None:
        return Check(q.id, EMPTY, f"{q.prompt} Write your answer in the parameters cell and re-run.")
    m = m or model_mod.build(inventory)
    truth = q.solve(inventory, m)
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


@dataclass
class Workshop:
    """One learner's session on an estate: ask questions, check answers, keep the score."""

    inventory: Inventory
    model: object = None
    results: dict[str, Check] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.model is None:
            self.model = model_mod.build(self.inventory)

    @classmethod
    def open(cls, path) -> Workshop:
        """Load the inventory at ``path`` and start a session."""
        return cls(load(path))

    def ask(self, question_id: str) -> str:
        """The prompt of a question."""
        q = QUESTIONS.get(question_id)
        if q is None:
            raise WorkshopError(f"unknown question {question_id!r}: expected one of {', '.join(QUESTIONS)}")
        return q.prompt

    def check(self, question_id: str, answer) -> Check:
        """Check an answer and remember the verdict."""
        result = check(question_id, answer, self.inventory, self.model)
        self.results[question_id] = result
        return result

    def score(self) -> str:
        """``k of n right`` over the questions checked so far (in workshop order)."""
        right = sum(1 for r in self.results.values() if r.correct)
        return f"{right} of {len(self.results)} right"
