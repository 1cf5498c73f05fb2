"""Self-check exercises for the teaching workshop: predict, get a hint and a second try, then see the answer.

Every question's model answer is *computed* from the inventory by the same
library functions the notebooks use (``model.recover``, ``silent.score``,
``coupling.credential_compromise``, ``whatif.capacity_whatif``...), never
stored, so the checks stay true if the teaching estate changes and a
facilitator can run them on another estate.

A learner types an answer into an exercise's box (or the notebook's
parameters cell): ids or component names separated by commas, "and", arrows
or spaces, in any case ("AD and DNS", ``ad-harbour -> dns-internal``); a
number with a decimal point or comma and an optional unit ("1,56", "1.5 h",
"90 min", "1h30", "5633 s", "1:30"); or yes/no.

The rules of a prediction (:class:`Workshop`):

* an empty answer is "not answered yet", not wrong;
* an answer that cannot be read (``NOT READ``: "ninety minutes", a word that
  is no component, a name that fits two components) does not use a try: the
  learner is told what to fix;
* a wrong answer gets ``NOT YET`` and a hint (how many ids are right, which
  of the learner's ids do not belong, a pointer to the concept; never the
  missing ids or the number) and one more try;
* the answer is revealed after a right answer, after the second try, or
  when the learner presses "Show me";
* the score keeps the first try: a right second try is noted apart, and
  nothing typed after the answer was shown changes the score.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import networkx as nx
import pandas as pd

from . import coupling, silent, whatif
from . import model as model_mod
from .errors import HiddenspofError
from .inventory import Inventory, load

__all__ = ["QUESTIONS", "Question", "Check", "Reading", "Score", "Workshop", "WorkshopError", "parse_answer",
           "read_answer", "check", "solution", "solution_text", "answer_text", "protected_assets",
           "redundancy_groups", "cycle_highlight", "backup_placement", "common_causes", "silent_totals",
           "compromise_steps", "ransomware_scenario", "roadmap_table", "MAX_TRIES", "scenario_frame",
           "surviving_backups", "stolen_fix_result", "ransomware_restores", "hours_text"]

RIGHT, WRONG, EMPTY, UNREAD = "RIGHT", "NOT YET", "NO ANSWER", "NOT READ"

#: Counted tries per question before the answer is revealed.
MAX_TRIES = 2

#: hours per unit a learner may write after a number (``1.5 h``, ``90 min``, ``2 days``, ``5633 s``)
UNITS = {"h": 1.0, "hr": 1.0, "hrs": 1.0, "hour": 1.0, "hours": 1.0, "std": 1.0,
         "m": 1 / 60, "min": 1 / 60, "mins": 1 / 60, "minute": 1 / 60, "minutes": 1 / 60,
         "s": 1 / 3600, "sec": 1 / 3600, "secs": 1 / 3600, "second": 1 / 3600, "seconds": 1 / 3600,
         "d": 24.0, "day": 24.0, "days": 24.0}


class WorkshopError(HiddenspofError, KeyError):
    """Raised for an unknown question id or an estate the workshop cannot teach on."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def _plural(n: int, word: str, many: str | None = None) -> str:
    """``1 id``, ``2 ids``: a count with its noun in the right number."""
    return f"{n} {word if n == 1 else (many or word + 's')}"


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
    """The verdict on one answer: ``RIGHT``, ``NOT YET``, ``NOT READ`` (no try used) or ``NO ANSWER``.

    ``tries_left`` is how many counted tries remain after this one (None when
    the answer did not count); ``reveal`` says the answer is now shown.
    """

    question: str
    status: str
    message: str
    hint: str = ""
    tries_left: int | None = None
    reveal: bool = False
    scored: bool = True

    @property
    def correct(self) -> bool:
        """True when the answer is right."""
        return self.status == RIGHT

    @property
    def counted(self) -> bool:
        """True when the answer used a try (right or wrong, not unreadable or empty)."""
        return self.status in (RIGHT, WRONG)

    def _after(self) -> str:
        if not self.scored and self.counted:
            return " (after the answer was shown: not scored)"
        if self.status == WRONG and self.tries_left:
            return " One more try."
        if self.status == WRONG and self.reveal:
            return " The answer is shown below."
        return ""

    def __str__(self) -> str:
        text = f"[{self.status}] {label(self.question)}: {self.message}{self._after()}"
        return text + (f" Hint: {self.hint}" if self.hint else "")

    def _repr_html_(self) -> str:
        colour = {RIGHT: "#2e7d32", WRONG: "#c62828", EMPTY: "#616161", UNREAD: "#ef6c00"}[self.status]
        hint = f"<br><i>Hint:</i> {html.escape(self.hint)}" if self.hint else ""
        return (f'<div class="hs-check" style="border-left:4px solid {colour};padding-left:8px">'
                f"<b>{self.status}</b> {html.escape(label(self.question))}: {html.escape(self.message + self._after())}"
                f"{hint}</div>")

    def __repr__(self) -> str:
        return str(self)


# -- solvers (each uses the library, as the notebooks do) ----------------------------------------------------


def _assets(inv, m):
    return set(m.assets)


def _group_of_shop(inv, m):
    return {x for _, _, members in m.groups.get("shop-web", ()) for x in members}


def _group_cause(inv, m):
    """Single components whose failure alone takes every member of shop-web's group down (not the members)."""
    members = _group_of_shop(inv, m)
    return {c for c in m.kind if c not in members and members <= m.down({c})}


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


#: The stolen login of the credential exercise.
STOLEN = "rmm-contractor"


def _usable_after(m, lost) -> set[str]:
    """Backups still there to restore from after ``lost`` is destroyed (not down themselves)."""
    down = m.down(set(lost))
    return {b for b in m.backup if b not in down}


def _stolen_survivors(inv, m):
    return _usable_after(m, coupling.credential_compromise(m, STOLEN).destroyed)


def _stolen_fix(inv, m):
    """Components that, cut off from the path that reaches them, let files-share come back after the theft."""
    attack = coupling.credential_compromise(m, STOLEN)
    out = set()
    for change in whatif.attack_changes(m, "files-share", attack):
        fixed = model_mod.build(whatif.apply(inv, change))
        after = coupling.credential_compromise(fixed, STOLEN).destroyed
        if "files-share" not in fixed.recover(after).unrecoverable:
            out.add(getattr(change, "account", None) or getattr(change, "component", None))
    return out - {None}


def _untested(inv, m):
    return set(m.backup) - set(inv.restore_tests["backup"])


def _replica(inv, m):
    return {b for b, info in m.backup.items() if info.method == "replica"}


def _worst_silent(inv, m):
    scores = {b.id: b.score for b in silent.score(inv, m).backups}
    top = max(scores.values())
    return {b for b, s in scores.items() if s == top}


def ransomware_scenario(inv):
    """The estate's own ransomware scenario (a declared scenario whose name says ransomware)."""
    for sc in inv.meta.scenarios:
        if "ransomware" in sc.name.lower():
            return sc
    raise WorkshopError(f"{inv.meta.name!r} declares no ransomware scenario: expected a scenario whose name "
                        "contains 'ransomware' (notebook 4 restores from the copies that survive it)")


def scenario_frame(scenario) -> pd.DataFrame:
    """One row: the scenario's name and what it fails (for the notebook that teaches it)."""
    return pd.DataFrame({"scenario": [scenario.name], "what it encrypts": [", ".join(sorted(scenario.fail))]})


def surviving_backups(inv, m) -> pd.DataFrame:
    """Where each backup that survives the ransomware lives and where its restore lands."""
    keep = _ransom_survivors(inv, m)
    placed = backup_placement(m)
    return placed[placed["backup"].isin(sorted(keep))].reset_index(drop=True)


def _ransom_survivors(inv, m):
    return _usable_after(m, ransomware_scenario(inv).fail)


def _ransom_run(inv, m, scale=None):
    return whatif.capacity_whatif(m, ransomware_scenario(inv), scale)


def _ransom_bottleneck(inv, m):
    return set(_ransom_run(inv, m).bottlenecks)


def _files_back(inv, m):
    r = _ransom_run(inv, m).restores
    return float(r.loc[r["asset"] == "files-share", "finish_hours"].iloc[0])


def _line_doubled_meets(inv, m):
    bottlenecks = _ransom_bottleneck(inv, m)
    r = _ransom_run(inv, m, dict.fromkeys(sorted(bottlenecks), 2.0)).restores
    return bool(r.loc[r["asset"] == "files-share", "meets_rto"].iloc[0])


def _first_fix(inv, m):
    top = whatif.roadmap(inv, limit=1)
    if not top:
        return set()
    change = top[0].change
    return {x for x in (getattr(change, "backup", None), getattr(change, "account", None),
                        getattr(change, "component", None)) if x}


_QUESTIONS = [
    Question("intake.assets", "Which components are protected assets (some backup protects them)?", "ids",
             _assets, "Look at the Protects column of the backups table, not at the tiers."),
    Question("intake.group", "shop-web keeps running while at least one member of its redundancy group is up: "
             "which components form that group?", "ids", _group_of_shop,
             "Find the dependency rows of shop-web that share a Group label."),
    Question("intake.group_cause", "Which single component, failing alone, takes every member of that group "
             "down at once?", "ids", _group_cause,
             "Follow the arrows out of each web server: what do both of them stand on?"),
    Question("intake.cycle", "Two components depend on each other (a dependency cycle): which?", "ids", _cycle,
             "Follow the dependency rows of the identity provider: what does it need, and what needs it?"),
    Question("coupling.fire_lost", "After a fire in the server room (dc-harbour fails) and every possible restore, "
             "which protected assets are still down?", "ids", _fire_lost,
             "A restore in place needs the asset's own dependencies; a restore elsewhere needs its target."),
    Question("coupling.fire_backup", "Which backup brings orders-db back after the fire?", "id", _fire_backup,
             "Which backup of orders-db is neither stored in nor restored into the server room?"),
    Question("coupling.files_common", "List every single component whose failure alone leaves files-share "
             "unrecoverable (its common causes).", "ids", _files_common,
             "Try each candidate alone: the site, and everything an in-place restore of files-share needs "
             "(follow those arrows all the way)."),
    Question("coupling.fix_site", "Which backup of files-share, if it restored to dr-vm instead, would remove "
             "dc-harbour from files-share's common causes?", "id", _fix_site,
             "A new restore target only helps if the backup itself does not live in the server room."),
    Question("credential.survivors", "Someone steals the IT contractor's RMM login (rmm-contractor). After the "
             "attacker has destroyed everything the login can reach, which backups are still there to restore "
             "from?", "ids", _stolen_survivors,
             "The login runs scripts on every machine with an RMM agent, and reads what those machines keep. "
             "Only a copy the attacker cannot delete, on a store it cannot reach, survives."),
    Question("credential.fix", "One component, reached by the attacker on the way, decides whether files-share "
             "can come back. Which one should be kept where the stolen login cannot reach it?", "id",
             _stolen_fix, "Look at the attack path: what does the attacker read on a machine it controls, "
             "and what does that let it delete?"),
    Question("silent.untested", "Which backup has never had a restore test?", "ids", _untested,
             "Compare the backups table with the restore tests table."),
    Question("silent.replica", "Which backup copies deletions and corruption the moment they happen?", "ids",
             _replica, "Look at the Method column: one method mirrors changes as they happen."),
    Question("silent.worst", "Which backup has the highest silent-failure score?", "ids", _worst_silent,
             "Add up the factors: no restore test, weak verification and a coupled alert channel each cost points."),
    Question("capacity.survivors", "The ransomware encrypts what the scenario lists. Which backups can still be "
             "restored from?", "ids", _ransom_survivors,
             "A backup stored on an encrypted machine is encrypted with it, and a replica copies the encryption."),
    Question("capacity.bottleneck", "Both datastores are restored at the same time from those copies: which "
             "component limits the restores?", "ids", _ransom_bottleneck,
             "Which component do both restores read through, and how fast is it compared with their own rates?"),
    Question("capacity.files_back", "How many hours after the ransomware is files-share back (within 5 %)?",
             "number", _files_back,
             "Two phases: while both restores run they share the limiting component fairly; once the smaller "
             "one is done, the other runs at its own restore rate or the component's speed, whichever is lower."),
    Question("capacity.doubled_meets", "The office buys a line twice as fast (the limiting component doubled). "
             "Is files-share then back within its RTO?", "yesno", _line_doubled_meets,
             "After the line, what is the next limit on the file-share restore?"),
    Question("wrap.first_fix", "Of everything you saw today, which backup would you change first?", "ids",
             _first_fix, "Which one change took the most common causes away in the what-if?"),
]

#: Every question by id, in workshop order.
QUESTIONS: dict[str, Question] = {q.id: q for q in _QUESTIONS}

#: The number a participant reads for each question ("2.3"): notebook, then position in it.
NUMBERS: dict[str, str] = {
    "intake.assets": "1.1", "intake.group": "1.2", "intake.group_cause": "1.3", "intake.cycle": "1.4",
    "coupling.fire_lost": "2.1", "coupling.fire_backup": "2.2", "coupling.files_common": "2.3",
    "coupling.fix_site": "2.4", "credential.survivors": "2.5", "credential.fix": "2.6",
    "silent.untested": "3.1", "silent.replica": "3.2", "silent.worst": "3.3",
    "capacity.survivors": "4.1", "capacity.bottleneck": "4.2", "capacity.files_back": "4.3",
    "capacity.doubled_meets": "4.4", "wrap.first_fix": "5.1",
}
assert set(NUMBERS) == set(QUESTIONS)


def label(question_id: str) -> str:
    """What a participant reads for a question: ``Exercise 2.3`` (never the internal id)."""
    return f"Exercise {NUMBERS[question_id]}" if question_id in NUMBERS else str(question_id)


_NUMBER = re.compile(r"(\d+(?:[.,]\d+)*|[.,]\d+)\s*([^\W\d_]*)")
_ID_SEPARATORS = re.compile(r"(?:\s*(?:<?[-=]+>|<-+|[→←↔⇄⇒]|[,;+&/\n]|\band\b|\bthen\b)\s*)+", re.IGNORECASE)
_STRIP = "'\"`()[]{}<>.:!?"
_STOP = {"the", "a", "an", "and", "of", "on", "in", "to", "its", "my"}


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
    """A duration or plain number as a person writes it: ``1,56``, ``1.5 h``, ``90 min``, ``1h30``, ``5633 s``."""
    body = text.strip().lower().lstrip("~≈").strip()
    body = re.sub(r"^(about|approx\.?|approximately|around|roughly|ca\.?)\s+", "", body)
    body = re.sub(r"\s*(?:hours?|hrs?|h)\s*$", " h", body) if re.fullmatch(r"[\d.,]+\s*(?:hours?|hrs?|h)", body) else body
    clock = re.fullmatch(r"(\d+):([0-5]\d)\s*(h|hours?)?", body)
    if clock:
        return int(clock.group(1)) + int(clock.group(2)) / 60
    short = re.fullmatch(r"(\d+)\s*h\s*([0-5]?\d)\s*(?:m|min|mins|minutes?)?", body)  # 1h30, 1 h 30, 1h30m
    if short:
        return int(short.group(1)) + int(short.group(2)) / 60
    parts = _NUMBER.findall(body)
    rest = _NUMBER.sub("", body).strip(" .")
    if not parts or rest:
        raise ValueError(f"expected a number such as 2.5, 1,56 h, 90 min or 1h30 (got {text!r})")
    if len(parts) > 1 and not all(unit for _, unit in parts):
        raise ValueError(f"give one number (got {text!r})")
    total = 0.0
    for number, unit in parts:
        if unit and unit not in UNITS:
            raise ValueError(f"{unit!r} is not a unit of time: write hours (h), minutes (min) or seconds (s) "
                             f"(got {text!r})")
        total += _number(number) * UNITS.get(unit, 1.0)
    return total


def _pieces(text: str) -> list[str]:
    """An ids answer cut at commas, semicolons, "and", "&", arrows; quotes and a final full stop dropped."""
    return [p.strip().strip(_STRIP).strip() for p in _ID_SEPARATORS.split(text) if p.strip().strip(_STRIP).strip()]


def parse_answer(text, kind: str):
    """A learner's answer as a value of the question's kind; None when empty.

    ``ids``/``id``: the set of words as typed, split on commas, semicolons,
    "and", "&", arrows and white space (quotes, brackets and a final full
    stop are ignored; :func:`read_answer` matches them to components by id
    or name); ``number``: a float in hours read as a person writes it
    (decimal comma, a unit of time such as ``h``, ``min`` or ``s``, ``1h30``,
    ``1:30``); ``yesno``: a bool. Raises ``ValueError`` with a message the
    learner can act on.
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
        return {w.strip(_STRIP) for p in _pieces(text) for w in p.split() if w.strip(_STRIP)}
    if kind == "number":
        return _hours(text)
    if kind == "yesno":
        low = re.split(r"[\s,.!;:]+", text.lower().strip(" .!"))[0]
        if low in ("yes", "y", "true", "1", "yep", "yeah", "ja", "oui"):
            return True
        if low in ("no", "n", "false", "0", "nope", "nein", "non"):
            return False
        raise ValueError(f"expected yes or no (got {text!r})")
    raise ValueError(f"unknown answer kind {kind!r}")


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9][a-z0-9.]*", text.lower()) if w not in _STOP]


def _aliases(m) -> list[dict[str, set[str]]]:
    """Ways to name a component, strongest first: id; full name; a part of the id; a phrase of the name."""
    names = dict(zip(m.inventory.components["id"], m.inventory.components["name"]))
    ids: dict[str, set[str]] = {}
    full: dict[str, set[str]] = {}
    parts: dict[str, set[str]] = {}
    for c in m.kind:
        ids.setdefault(c.lower(), set()).add(c)
        full.setdefault(" ".join(_words(re.sub(r"[-_]", " ", c))), set()).add(c)  # "files share"
        name = names.get(c)
        if isinstance(name, str) and name.strip():
            full.setdefault(" ".join(_words(name)), set()).add(c)
            bare = re.sub(r"\([^)]*\)", "", name)
            full.setdefault(" ".join(_words(bare)), set()).add(c)
        for part in re.split(r"[-_.]", c.lower()):
            if part and not part.isdigit():
                parts.setdefault(part, set()).add(c)
    return [ids, full, parts]


def _resolve(phrase: str, m, tables) -> tuple[set[str], str | None]:
    """The component(s) a phrase names, or a problem to show the learner."""
    ids, full, parts = tables
    low = phrase.lower().strip()
    if low in ids:
        return set(ids[low]), None
    words = _words(phrase)
    key = " ".join(words)
    if not words:
        return set(), None
    for table in (full, parts):
        hit = table.get(key)
        if hit:
            if len(hit) == 1:
                return set(hit), None
            return set(), f"{phrase!r} could be {' or '.join(sorted(hit))}: write the id"
    # a phrase inside one component's name ("active directory", "server room")
    names = dict(zip(m.inventory.components["id"], m.inventory.components["name"]))
    inside = {c for c, n in names.items() if isinstance(n, str)
              and re.search(rf"(?<![a-z0-9]){re.escape(key)}(?![a-z0-9])", " ".join(_words(n)))}
    if len(inside) == 1:
        return inside, None
    if len(inside) > 1:
        return set(), f"{phrase!r} could be {' or '.join(sorted(inside))}: write the id"
    return set(), f"{phrase!r} is not a component id or name"


@dataclass(frozen=True)
class Reading:
    """How an answer is read: its value, what could not be read (the learner fixes it; no try is used)."""

    value: object
    problems: tuple[str, ...] = ()

    @property
    def readable(self) -> bool:
        """True when the answer was read completely."""
        return not self.problems


def read_answer(text, kind: str, m=None) -> Reading:
    """Read an answer as :func:`parse_answer` does, matching ids and names to the components of ``m``.

    For ids: each piece (between commas, "and", arrows...) is tried as a
    whole (an id, a component's name, a part of an id such as ``AD`` or
    ``DNS`` that only one component has, a phrase of one name), then word by
    word. Anything unknown or ambiguous is a problem, not a wrong answer.
    """
    try:
        value = parse_answer(text, kind)
    except ValueError as exc:
        return Reading(None, (str(exc),))
    if value is None or kind not in ("ids", "id") or m is None:
        return Reading(value)
    tables = _aliases(m)
    found: set[str] = set()
    problems: list[str] = []
    texts = ", ".join(str(t) for t in text) if isinstance(text, (set, frozenset, list, tuple)) else str(text)
    for piece in _pieces(texts):
        hit, problem = _resolve(piece, m, tables)
        if hit:
            found |= hit
            continue
        words = [w.strip(_STRIP) for w in piece.split() if w.strip(_STRIP) and w.lower() not in _STOP]
        if len(words) > 1:
            each = [_resolve(w, m, tables) for w in words]
            if all(h for h, _ in each):
                for h, _ in each:
                    found |= h
                continue
            problems.append(problem if problem and "could be" in problem
                            else next(p for h, p in each if not h and p))
        elif problem:
            problems.append(problem)
    if kind == "id" and len(found) > 1 and not problems:
        problems.append(f"give one id (you gave {len(found)}: {', '.join(sorted(found))})")
    return Reading(found, tuple(problems))


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
    """The model answer of a question, computed from ``inventory`` (a set of ids, a number or a bool)."""
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


def hours_text(hours: float) -> str:
    """Hours for people: ``28.9 hours (28 h 57 min)``, ``40 minutes``; ``unknown`` when not timed."""
    if hours is None or (isinstance(hours, float) and math.isnan(hours)):
        return "unknown"
    minutes = round(hours * 60)
    if minutes < 60:
        return _plural(minutes, "minute")
    h, mm = divmod(minutes, 60)
    return f"{hours:.1f} hours ({h} h {mm:02d} min)" if mm else _plural(h, "hour")


def answer_text(question_id: str, inventory: Inventory, m=None) -> str:
    """The model answer as a reveal shows it: ids as a list, hours in words, yes/no."""
    q = _question(question_id)
    truth = solution(question_id, inventory, m)
    if q.kind == "number":
        return f"{hours_text(truth)}; anything from {truth * (1 - q.tolerance):.2f} to {truth * (1 + q.tolerance):.2f} h counts"
    if q.kind == "yesno":
        return "yes" if truth else "no"
    return (" or " if q.kind == "id" else ", ").join(sorted(truth)) or "none"


def check(question_id: str, answer, inventory: Inventory, m=None) -> Check:
    """Judge one answer against the model answer computed from ``inventory`` (no tries counted here).

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
        ``NOT READ`` naming what could not be read; or ``NO ANSWER``.

    Raises
    ------
    WorkshopError
        For an unknown question id.
    """
    q = _question(question_id)
    m = m or model_mod.build(inventory)
    reading = read_answer(answer, q.kind, m)
    if not reading.readable:
        return Check(q.id, UNREAD, "; ".join(reading.problems) + ". Nothing was counted: fix it and press Check.",
                     tries_left=None)
    given = reading.value
    if given is None:
        return Check(q.id, EMPTY, f"{q.prompt} Type your answer in the box and press Check.")
    truth = q.solve(inventory, m)
    if q.kind == "number":
        if math.isclose(given, truth, rel_tol=q.tolerance, abs_tol=1e-9):
            return Check(q.id, RIGHT, "right.")
        side = "too high" if given > truth else "too low"
        return Check(q.id, WRONG, f"{given:g} h is {side}.", q.hint)
    if q.kind == "yesno":
        return Check(q.id, RIGHT, "right.") if given == truth else Check(q.id, WRONG, "not quite.", q.hint)
    if given == truth or (q.kind == "id" and given and given <= truth):
        return Check(q.id, RIGHT, "right.")
    extra = sorted(g for g in given if g not in truth)
    hits = len(given & truth)
    parts = []
    if extra:
        parts.append("not part of the answer: " + ", ".join(extra))
    if q.kind == "ids":
        n = len(given)
        if n == 1:
            parts.append("yours is right" if hits else "yours is not right")
        elif hits == 0:
            parts.append(f"none of your {n} is right")
        else:
            parts.append(f"{hits} of your {n} {'is' if hits == 1 else 'are'} right")
        missing = len(truth - given)
        if missing:
            parts[-1] += f", {missing} more to find"
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


_ACTIONS = {"holds": "starts with", "destroys": "destroys", "reads": "reads", "resets": "resets",
            "takes over": "takes over", "wipes": "wipes"}


def compromise_steps(m, holder: str = STOLEN) -> pd.DataFrame:
    """The attack of a stolen ``holder`` step by step: what the attacker does to each component, and through what."""
    attack = coupling.credential_compromise(m, holder)
    names = dict(zip(m.inventory.components["id"], m.inventory.components["name"]))
    rows = []
    for st in attack.steps:
        rows.append({"step": len(rows) + 1, "the attacker": _ACTIONS.get(st.action, st.action),
                     "component": st.component, "what it is": names.get(st.component, ""),
                     "through": st.via or ""})
    return pd.DataFrame(rows, columns=["step", "the attacker", "component", "what it is", "through"])


def stolen_fix_result(inventory: Inventory, m=None) -> pd.DataFrame:
    """Before and after the fix of the credential exercise, re-analysed: what the stolen login leaves unrecoverable."""
    m = m or model_mod.build(inventory)
    attack = coupling.credential_compromise(m, STOLEN)
    rows = [{"estate": "as it is", "change": "none",
             "backups left": ", ".join(sorted(_usable_after(m, attack.destroyed))) or "none",
             "still down after every restore": ", ".join(m.recover(attack.destroyed).unrecoverable) or "none"}]
    for change in whatif.attack_changes(m, "files-share", attack):
        fixed = model_mod.build(whatif.apply(inventory, change))
        lost = coupling.credential_compromise(fixed, STOLEN).destroyed
        rows.append({"estate": "after the fix", "change": change.describe(),
                     "backups left": ", ".join(sorted(_usable_after(fixed, lost))) or "none",
                     "still down after every restore": ", ".join(fixed.recover(lost).unrecoverable) or "none"})
    return pd.DataFrame(rows, columns=["estate", "change", "backups left", "still down after every restore"])


def ransomware_restores(inventory: Inventory, m=None, scale=None) -> pd.DataFrame:
    """The ransomware scenario's restores for people: backup, start, back after, RTO, verdict, how late."""
    m = m or model_mod.build(inventory)
    r = _ransom_run(inventory, m, scale).restores
    out = pd.DataFrame({
        "asset": r["asset"], "restored from": r["backup"],
        "back after": [hours_text(h) for h in r["finish_hours"]],
        "RTO": [hours_text(h) if pd.notna(h) else "none set" for h in r["rto_hours"]],
        "verdict": list(r["verdict"]),
        "late by": [hours_text(h) if pd.notna(h) and h > 0 else "" for h in r["late_hours"]],
    })
    return out.reset_index(drop=True)


def _plain_words(text: str) -> str:
    """A sentence without the tool's own vocabulary in brackets (``(verification restore_test)``)."""
    return re.sub(r"\s*\([^()]*\b\w+_\w+\b[^()]*\)", "", text)


def roadmap_table(inventory: Inventory, limit: int = 5) -> pd.DataFrame:
    """The remediation roadmap for the wrap-up: each change (applied and re-analysed) and what it fixes."""
    items = whatif.roadmap(inventory, limit=limit)
    rows = [{"rank": i + 1, "change": _plain_words(it.description), "assets": ", ".join(it.assets),
             "what it fixes": whatif.roadmap_frame([it])["fixes"].iloc[0]} for i, it in enumerate(items)]
    return pd.DataFrame(rows, columns=["rank", "change", "assets", "what it fixes"])


@dataclass(frozen=True)
class Score:
    """A learner's score over the exercises asked so far, on first tries: ``3 of 5 right``.

    ``second`` counts questions got right at the second try (not in
    ``right``); ``shown`` those revealed with "Show me" before any try;
    ``unanswered`` those with no counted try yet.
    """

    right: int
    total: int
    shown: int = 0
    unanswered: int = 0
    second: int = 0

    def __str__(self) -> str:
        notes = []
        if self.second:
            notes.append(f"{self.second} more at the second try")
        if self.unanswered:
            notes.append(f"{self.unanswered} not answered yet")
        if self.shown:
            notes.append(f"{self.shown} shown before answering")
        return f"{self.right} of {self.total} right" + (f" ({'; '.join(notes)})" if notes else "")

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return (f'<div class="hs-score"><b>Your score</b> (first tries): {html.escape(str(self))}</div>')


@dataclass
class Workshop:
    """One learner's session on an estate: ask questions, count tries, reveal, keep the score.

    ``asked`` lists the questions of the exercises shown so far (the score's
    total); ``results`` the latest verdict per question; ``first`` the first
    counted verdict (the score); ``tries`` the counted tries; ``revealed`` the
    questions whose answer is shown; ``shown`` those revealed by "Show me"
    before any try.
    """

    inventory: Inventory
    model: object = None
    results: dict[str, Check] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)
    first: dict[str, Check] = field(default_factory=dict)
    tries: dict[str, int] = field(default_factory=dict)
    revealed: set[str] = field(default_factory=set)
    shown: set[str] = field(default_factory=set)
    second: set[str] = field(default_factory=set)
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
        """Judge an answer and apply the rules of a prediction (see the module docstring).

        Returns the verdict with ``tries_left`` and ``reveal`` set: an empty or
        unreadable answer uses no try; a wrong one leaves one more try; a
        right one, or the last try, reveals the answer. After the reveal an
        answer is judged but not scored.
        """
        self.ask(question_id)
        verdict = check(question_id, answer, self.inventory, self.model)
        if not verdict.counted:
            if verdict.status == UNREAD or question_id not in self.results:
                self.results[question_id] = verdict
            self._changed()
            return verdict
        if question_id in self.revealed:
            verdict = Check(verdict.question, verdict.status, verdict.message, verdict.hint, 0, True, scored=False)
            self.results[question_id] = verdict
            self._changed()
            return verdict
        n = self.tries.get(question_id, 0) + 1
        self.tries[question_id] = n
        left = 0 if verdict.correct else MAX_TRIES - n
        reveal = verdict.correct or left <= 0
        verdict = Check(verdict.question, verdict.status, verdict.message, verdict.hint, max(left, 0), reveal)
        self.first.setdefault(question_id, verdict)
        if verdict.correct and n > 1:
            self.second.add(question_id)
        if reveal:
            self.revealed.add(question_id)
        self.results[question_id] = verdict
        self._changed()
        return verdict

    def show(self, question_id: str) -> None:
        """Reveal a question's answer ("Show me"); before any try it counts as shown, not predicted."""
        self.ask(question_id)
        if question_id not in self.first:
            self.shown.add(question_id)
        self.revealed.add(question_id)
        self._changed()

    def done(self, question_id: str) -> bool:
        """True once the question's answer may be shown (right, out of tries, or shown)."""
        return question_id in self.revealed

    def solution(self, question_id: str) -> str:
        """The model answer as typed text, computed from this session's inventory."""
        return solution_text(question_id, self.inventory, self.model)

    def answer(self, question_id: str) -> str:
        """The model answer as a reveal shows it (hours in words, the accepted range)."""
        return answer_text(question_id, self.inventory, self.model)

    def score(self) -> Score:
        """The score over the questions asked so far, counting first tries: ``k of n right``."""
        right = sum(1 for q in self.asked if q in self.first and self.first[q].correct)
        shown = sum(1 for q in self.asked if q in self.shown)
        answered = sum(1 for q in self.asked if q in self.first)
        second = sum(1 for q in self.asked if q in self.second)
        return Score(right, len(self.asked), shown, len(self.asked) - answered - shown, second)

    def on_change(self, callback) -> None:
        """Call ``callback(self)`` whenever a verdict or the set of questions changes (the live score)."""
        self._listeners.append(callback)

    def _changed(self) -> None:
        for callback in self._listeners:
            callback(self)

    def exercise(self, questions, answers=(), reveal=None, *, interactive: bool = True):
        """A predict-then-reveal exercise (:class:`hiddenspof.widgets.Exercise`) for ``questions``.

        ``answers`` are the answers already given (the parameters cell), in
        the order of ``questions``, checked as first tries; ``reveal`` builds
        what answers the exercise (a widget, table or chart) and is only
        called once every question is done (right, two tries, or "Show me").
        """
        from .widgets import Exercise

        return Exercise(self, questions, answers, reveal, interactive=interactive)

    def scoreboard(self, *, interactive: bool = True):
        """The live score (:class:`hiddenspof.widgets.Scoreboard`), updated on every check."""
        from .widgets import Scoreboard

        return Scoreboard(self, interactive=interactive)


# -- solution notebooks ------------------------------------------------------------------------------------

SOLUTION_CELL_ID = "facilitator-solutions"

#: Where the facilitator's kit lives, relative to the participants' folder (outside JupyterLab's root there).
FACILITATOR_DIR = "../facilitator"


def _stripped(nb):
    """A copy of a notebook without outputs, execution counts or saved widget state (what Lab autosaves)."""
    import copy

    out = copy.deepcopy(nb)
    for cell in out.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
    out.metadata.pop("widgets", None)
    return out


def solution_notebook(nb, inventory_path: str | None = None):
    """A facilitator's copy of a workshop notebook (an ``nbformat`` notebook) that answers every exercise.

    After the cell that opens the workshop (``ws = ...``) it inserts one cell
    setting each ``answer_*`` parameter to the model answer **computed by the
    library** (``ws.solution``), so the solutions follow the estate when it
    changes; run, every exercise checks ``RIGHT`` and opens its reveal.
    Outputs a learner's run left in ``nb`` are dropped; ``inventory_path``
    replaces the default estate path (the solutions live in another folder).
    """
    out = _stripped(nb)
    cells = out.cells
    params = next(c for c in cells if "parameters" in c.metadata.get("tags", []))
    if inventory_path is not None:
        params.source = re.sub(r'^(inventory_path: str = )"[^"]*"', lambda mt: f'{mt.group(1)}"{inventory_path}"',
                               params.source, count=1, flags=re.MULTILINE)
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


def _default_path(nb) -> str:
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    found = re.search(r'^inventory_path: str = "([^"]*)"', params.source, flags=re.MULTILINE)
    return found.group(1) if found else ""


def write_solutions(workshop_dir, solutions_dir=None) -> list:
    """Write ``SOLUTIONS/NAME.ipynb`` for every workshop notebook in ``workshop_dir``; returns the paths.

    ``solutions_dir`` defaults to ``../facilitator/solutions`` beside the
    participants' folder. The estate path is rewritten to be right from there.
    """
    import os
    from pathlib import Path

    import nbformat

    workshop_dir = Path(workshop_dir)
    target_dir = Path(solutions_dir) if solutions_dir else workshop_dir / FACILITATOR_DIR / "solutions"
    target_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted(workshop_dir.glob("[0-9]*.ipynb")):
        learner = nbformat.read(path, as_version=4)
        default = _default_path(learner)
        moved = Path(os.path.relpath(workshop_dir.resolve() / default, target_dir.resolve())).as_posix()
        nb = solution_notebook(learner, moved)
        target = Path(os.path.normpath(target_dir / path.name))
        nbformat.write(nb, target)
        written.append(target)
    for stale in sorted(target_dir.glob("[0-9]*.ipynb")):
        if not (workshop_dir / stale.name).exists():
            stale.unlink()
    return written


def main(argv=None) -> int:
    """``python -m hiddenspof.workshop solutions|check|handouts ...`` (the Makefile's workshop targets)."""
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    usage = ("usage: python -m hiddenspof.workshop solutions WORKSHOP_DIR [SOLUTIONS_DIR]\n"
             "       python -m hiddenspof.workshop check [--quick]\n"
             "       python -m hiddenspof.workshop handouts OUT_DIR")
    if args[:1] == ["solutions"] and len(args) in (2, 3):
        for p in write_solutions(*args[1:]):
            print(p)
        return 0
    if args[:1] == ["check"] and args[1:] in ([], ["--quick"]):
        from .workshop_setup import preclass_check, report

        text, code = report(preclass_check(run_notebook=args[1:] != ["--quick"]))
        print(text)
        return code
    if args[:1] == ["handouts"] and len(args) == 2:
        from .workshop_handouts import write_handouts

        for p in write_handouts(args[1]):
            print(p)
        return 0
    print(usage, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
