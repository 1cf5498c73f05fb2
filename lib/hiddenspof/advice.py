"""The advice layer: failure domains, blockers and verified fixes behind the coupling findings.

Verdicts are facts; findings are advice. This module turns the coupling
verdicts into findings a consultant would sign:

* **Failure domains.** Components whose single failure leaves *the same*
  assets unrecoverable and that lie on one dependency chain (one depends on
  the other, directly or through a few rows) are one root cause: a site, its
  SAN, the cluster on it and the directory on the cluster. One finding per
  domain, named by its root (the member the others depend on), listing every
  asset it takes and the chain. Unprotected keystones are members of their
  domain, not findings of their own.
* **Blockers.** For an unrecoverable verdict under a failure set F, each
  backup's recovery path is walked from what it needs (the backup, then its
  restore target or, restoring in place, the asset's own requirements)
  through the components that are down, stopping at the first member of F
  (or of the domain): the offline tape survives, but its restore needs the
  key server and the backup server, which the attack destroyed.
* **Verified fixes.** Candidate changes come from the what-if vocabulary
  (``whatif``: restore elsewhere, move a store, give a server its own
  credentials or keys, make a backup immutable, an offline copy, a recovery
  site). Each candidate set is applied to a copy of the inventory and the
  finding's own question is asked again (every strike of the domain or
  threat, every asset). ``verified`` is true only when the re-analysis
  answers "recoverable" for all of them. Single changes first, then pairs,
  then the named composite "a recovery site with its own backup server and
  keys"; at most ``FIX_BUDGET`` re-analyses per finding. The re-analysis
  is of the whole changed estate, made incremental (``overlay``): the change
  is patched into the built model and only the strikes whose outcome it can
  change are recovered again; the budgets count that work.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from . import coupling, overlay
from .collector import paused
from .findings import Finding, Fix, severity_rank
from .model import Model
from .overlay import JUDGED_LIMIT

__all__ = [
    "CREDENTIAL_KINDS",
    "FIX_BUDGET",
    "FIX_SEVERITIES",
    "FIX_WORK_BUDGET",
    "FIX_WORK_PER_FINDING",
    "OTHER_WORK_BUDGET",
    "Domain",
    "Problem",
    "CAPACITY_FACTORS",
    "attach_fixes",
    "capacity_fix",
    "blockers_of",
    "Context",
    "CopyPath",
    "PLACE_KINDS",
    "copy_survives",
    "finding_blockers",
    "platforms",
    "rule_broken",
    "serious_claims",
    "serious_findings",
    "verify",
    "production_side",
    "reused_by",
    "touches_production",
    "written_down",
    "coupling_findings",
    "failure_domains",
    "findings_of",
    "find_fix",
    "problem_of",
    "resolved",
]

#: Candidate change sets re-analysed per finding at most (the stated search budget).
FIX_BUDGET = 40
#: Work one assessment's coupling fix search spends at most: the strikes a candidate change can alter,
#: re-analysed on the changed estate (``overlay``; an asset whose closure changed is judged on that closure),
#: each counted as one plus every component it walks, plus the components each change touches. Shared out
#: fairly: the findings are taken most severe first and each gets an equal part of what is left when its turn
#: comes (at most ``FIX_WORK_PER_FINDING``), so the first findings' candidates do not starve the later ones (a
#: finding's composite may still spend past its part). Counted, not timed, so results never depend on the machine.
FIX_WORK_BUDGET = 30_000_000
#: Work one finding may spend before only its composite is tried.
FIX_WORK_PER_FINDING = 1_000_000
#: Work counted for compiling one candidate and for patching one change into the model, besides what its
#: re-analysis walks: their fixed cost, about that of re-analysing a thousand components, so that a search of
#: many small candidates is bounded as a search of a few large ones is.
_COMPILE_COST = 1_000
_CHANGE_COST = 1_000
#: What the capacity and silent-failure fixes of one assessment spend at most: a silent-failure fix or a
#: scenario's schedule re-run costs the size of the inventory, one restore timed again its path.
OTHER_WORK_BUDGET = 2_000_000
#: Above this many assets a finding skips the asset-by-asset search (singles, then the composite).
_PER_ASSET_LIMIT = 6
#: Fixes verified for wider findings that a wide finding tries first, at most (the tightest first).
_REUSED = 2
#: Findings of these severities get a fix searched for (the others keep ``fix`` null).
FIX_SEVERITIES = ("critical", "high")
#: Kinds a stolen credential is made of (struck by ``credential_compromise``).
CREDENTIAL_KINDS = ("credentials", "identity", "account")
#: Kinds a component can be given its own separate instance of (a new account, directory, key store...).
_SEPARABLE = ("account", "identity", "credentials", "kms", "site", "region", "provider", "control_plane")
#: How far (rows) two members of a domain may be apart on their chain.
_CHAIN_DEPTH = 8
#: Existing restore targets tried per backup.
_SPARE_TARGETS = 2


# -- failure domains ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Domain:
    """Components that fail the same assets along one dependency chain: one root cause.

    ``members`` are in chain order, most dependent first and ``root`` (the
    member the others depend on) last.
    """

    root: str
    members: tuple[str, ...]
    assets: tuple[str, ...]

    @property
    def label(self) -> str:
        """A readable name: the root, or "the <root> stack" for a chain."""
        return self.root if len(self.members) == 1 else f"the {self.root} stack"


def _reach(model: Model, start: str, goals: set[str], depth: int = _CHAIN_DEPTH) -> set[str]:
    """The members of ``goals`` that ``start`` depends on within ``depth`` rows."""
    seen = {start}
    frontier = [start]
    hit = set()
    for _ in range(depth):
        nxt = []
        for v in frontier:
            for w in model.dependencies_of(v):
                if w not in seen:
                    seen.add(w)
                    nxt.append(w)
                    if w in goals:
                        hit.add(w)
        frontier = nxt
        if not frontier:
            break
    return hit


def failure_domains(model: Model, unrecoverable_by: dict[str, tuple[str, ...]]) -> list[Domain]:
    """Every failure domain: single failures grouped by the assets they take and by dependency chain.

    Two common causes are in one domain when they leave exactly the same
    assets unrecoverable and one depends on the other (within
    ``_CHAIN_DEPTH`` rows). Sorted by root.
    """
    by_assets: dict[tuple[str, ...], list[str]] = {}
    for x in model.ids:
        if unrecoverable_by[x]:
            by_assets.setdefault(tuple(unrecoverable_by[x]), []).append(x)
    out = []
    for assets, xs in by_assets.items():
        if len(xs) == 1:
            out.append(Domain(xs[0], (xs[0],), assets))
            continue
        parent = {x: x for x in xs}

        def find(x: str, parent: dict[str, str] = parent) -> str:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        goals = set(xs)
        below: dict[str, set[str]] = {}
        for x in xs:
            below[x] = _reach(model, x, goals)
            for y in below[x]:
                rx, ry = find(x), find(y)
                if rx != ry:
                    parent[max(rx, ry)] = min(rx, ry)
        parts: dict[str, list[str]] = {}
        for x in xs:
            parts.setdefault(find(x), []).append(x)
        for members in parts.values():
            # how many members depend on each: the root is the one most depend on
            under = {x: sum(1 for y in members if x in below[y]) for x in members}
            chain = sorted(members, key=lambda x: (under[x], x))
            out.append(Domain(chain[-1], tuple(chain), assets))
    return sorted(out, key=lambda d: (d.root, d.assets))


# -- blockers -----------------------------------------------------------------------------------------


def _unmet(model: Model, component: str, down: frozenset[str] | set[str]) -> list[str]:
    """The down components that leave ``component``'s own rows unmet (ungrouped rows, members of unmet groups)."""
    out = [t for t in model.requires[component] if t in down]
    for _, needs, members in model.groups[component]:
        hit = [m for m in members if m in down]
        if len(members) - len(hit) < needs:
            out.extend(hit)
    return sorted(set(out)) if out else out


@dataclass(frozen=True)
class CopyPath:
    """One backup's recovery path after a failure.

    ``survives``: the copy itself is still there (see :func:`copy_survives`).
    ``needs``: for a surviving copy whose path is down, the down components
    on its recovery path (its store, restore tool, keys, credentials, network:
    what it has a row on; and its restore target, or restoring in place the
    asset's own down requirements); for a lost copy, what it was lost with
    (the backup itself, or the store it is kept on). Empty when the path is up.
    """

    survives: bool
    needs: tuple[str, ...]


def copy_survives(model: Model, backup: str, down: frozenset[str] | set[str], failed: frozenset[str] | set[str]) -> bool:
    """Whether a copy survives a failure: the backup is not failed (or destroyed), and no store it is kept on is
    failed, or down with what it is kept in (its host, storage, site, region, provider or account)."""
    return _survives(model, backup, down, failed)


def blockers_of(model: Model, asset: str, down: frozenset[str], failed: Iterable[str]) -> dict[str, CopyPath]:
    """Backup of ``asset`` -> its :class:`CopyPath` after ``failed`` fail (or are destroyed) and ``down`` is down.

    By the contract: for each backup whose copy survives, the down
    components on its recovery path ("the offline tape survives; its restore
    needs hsm-lon"), not the root of the failure.
    """
    failed = failed if isinstance(failed, (set, frozenset)) else set(failed)
    out: dict[str, CopyPath] = {}
    own = None  # the asset's own unmet rows, read once for every backup restoring in place
    for b in model.backups_of.get(asset, ()):
        if model.path_up(b, down):
            out[b] = CopyPath(True, ())
            continue
        if _survives(model, b, down, failed):
            info = model.backup[b]
            needs = set(_unmet(model, b, down))
            if info.restore_to is not None:
                if info.restore_to in down:
                    needs.add(info.restore_to)
            else:
                if own is None:
                    own = _unmet(model, asset, down)
                needs.update(own)
            out[b] = CopyPath(True, tuple(sorted(needs)))
            continue
        if b in failed:
            out[b] = CopyPath(False, (b,))
            continue
        lost = [s for s in model.dependencies_of(b) if model.kind[s] == "backup_store" and s in down]
        out[b] = CopyPath(False, tuple(sorted(lost)) or (b,))
    return out


def finding_blockers(paths: Iterable[dict[str, CopyPath]]) -> list[str]:
    """The blockers of a finding from its assets' copy paths: what stands on the surviving paths, or, when no
    copy of any of them survives, what the copies were lost with. Sorted."""
    paths = list(paths)
    on_surviving = {x for per in paths for p in per.values() if p.survives for x in p.needs}
    if on_surviving:
        return sorted(on_surviving)
    return sorted({x for per in paths for p in per.values() if not p.survives for x in p.needs})


def _holder_rows(model: Model, start: str, down: frozenset[str], stop: set[str] | frozenset[str]) -> list[tuple[str, str]]:
    """(holder, blocker) rows met walking from ``start`` through down components to ``stop`` members."""
    rows: list[tuple[str, str]] = []
    seen: set[str] = set()
    queue = [start]
    while queue:
        v = queue.pop(0)
        if v in seen or v in stop:
            continue
        seen.add(v)
        for t in _unmet(model, v, down):
            if t in stop:
                rows.append((v, t))
            else:
                queue.append(t)
    return rows


def _blocker_text(blocked: dict[str, CopyPath], gone: str) -> str:
    """'tape-ehr survives; its restore needs keysrv, veeam-server (destroyed)' / 'bk is lost with nas', '; '-joined."""
    parts = []
    for b, p in blocked.items():
        if not p.needs:
            continue
        if p.survives:
            parts.append(f"{b} survives; its restore needs {', '.join(p.needs)} ({gone})")
        elif p.needs == (b,):
            parts.append(f"{b} is lost ({gone} itself)")
        else:
            parts.append(f"{b} is lost with {', '.join(p.needs)}")
    return "; ".join(parts)


def _names(items: Sequence[str], limit: int = 4) -> str:
    items = list(items)
    if len(items) <= limit:
        return ", ".join(items)
    return f"{', '.join(items[:limit])} and {len(items) - limit} more"


# -- the questions a finding asks ----------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """What a finding says cannot be recovered: ``assets`` stay down after one of ``strikes``.

    Each strike is a failure set read through ``mode`` as a declared
    scenario is (``coupling.scenario_failures``). For ``credential_compromise``
    every credential the re-analysed inventory adds is struck too.
    """

    kind: str
    assets: tuple[str, ...]
    strikes: tuple[tuple[str, ...], ...]
    mode: str | None = None


def problem_of(model: Model, finding: Finding) -> Problem | None:
    """The question behind a coupling finding, or None when it is not one this module can re-ask."""
    parts = finding.id.split(":")
    if finding.category != "coupling" or len(parts) < 3:
        return None
    if parts[1] == "domain":
        return Problem("domain", finding.assets, tuple((x,) for x in finding.components))
    if parts[1] == "threat" and parts[2] == "credential_compromise":
        holders = tuple(c for c in finding.components if model.kind.get(c) in CREDENTIAL_KINDS)
        return Problem("credential_compromise", finding.assets, tuple((k,) for k in holders), "credential_compromise")
    if parts[1] == "threat" and parts[2] == "logical_corruption":
        return Problem("logical_corruption", finding.assets, tuple((a,) for a in finding.assets), "logical_corruption")
    if parts[1] == "scenario":
        name = ":".join(parts[2:])
        for s in model.inventory.meta.scenarios:
            if _slug(s.name) == name:
                return Problem("scenario", finding.assets, (tuple(s.fail),), s.mode)
    return None


def _failures(model: Model, problem: Problem, before: Iterable[str] | None = None) -> list[frozenset[str]]:
    """The failed set of each strike; credential theft also strikes every credential not in ``before`` (added by a change)."""
    strikes = list(problem.strikes)
    if problem.mode == "credential_compromise" and before is not None:
        before = before if isinstance(before, (set, frozenset)) else set(before)
        strikes += [(c,) for c in model.ids if model.kind[c] in CREDENTIAL_KINDS and c not in before]
    out = []
    for s in strikes:
        if all(c in model.kind for c in s):
            out.append(coupling.scenario_failures(model, s, problem.mode))
    return out


def resolved(model: Model, problem: Problem, before: Iterable[str] | None = None) -> bool:
    """Whether none of the problem's assets stays unrecoverable after any of its strikes in ``model``.

    ``before``: the component ids before the change, so that a credential
    the change adds is struck as well.
    """
    for failed in _failures(model, problem, before):
        if not failed:
            continue
        lost = set(model.recover(failed).unrecoverable)
        if lost.intersection(problem.assets):
            return False
    return True


# -- what a fix may change ------------------------------------------------------------------------------

#: Kinds of place: a fix never moves one (their own rows stay) and never takes a component out of one.
PLACE_KINDS = ("site", "region", "provider", "account")
#: Kinds of which any instance that stays up can stand in for a lost one on a copy's path (a copy moved to
#: another store, its keys copied to another key store); other kinds need a known, equal platform.
_INTERCHANGEABLE = ("backup_store", "kms")
#: New components of these kinds are placed on one of the kinds of place listed (when the estate has such places).
_PLACED: dict[str, tuple[str, ...]] = {
    "backup_store": PLACE_KINDS, "kms": PLACE_KINDS, "recovery_tool": PLACE_KINDS, "other": PLACE_KINDS,
    "service": PLACE_KINDS, "datastore": PLACE_KINDS, "account": ("provider",), "site": ("region", "provider"),
    "region": ("provider",),
}


def platforms(model: Model) -> dict[str, str]:
    """component -> its ``platform`` (lower case), where the inventory knows it."""
    comps = model.inventory.components
    if "platform" not in comps:
        return {}
    return {str(i): str(p).strip().lower() for i, p in zip(comps["id"], comps["platform"])
            if isinstance(p, str) and p.strip()}


def rule_broken(model: Model, edits: Sequence, platform: dict[str, str] | None = None) -> str | None:
    """Why a fix's edits are not a change the client's engineers can make, or None when they are.

    The rules of "what a fix may change" (``docs/advice.md``): places stay
    (no row of an existing site, region, provider or account changes); an
    existing component never leaves its site, region, provider or account
    (a copy, a backup, may be kept in another one of the same kind, never in
    none); a restore lands on a target of the asset's platform where both are
    known; every new component's id starts with ``new-`` and a new store,
    target, key copy, account or site is placed (when the estate has places
    of a fitting kind). Checked on every candidate before it is re-analysed.
    """
    platform = platforms(model) if platform is None else platform
    added: dict[str, str] = {}
    new_platform: dict[str, str] = {}
    protects: dict[str, str] = {}
    for e in edits:
        r = e.fields
        if e.op == "add_component":
            added[r["id"]] = r["kind"]
            if r.get("platform"):
                new_platform[r["id"]] = str(r["platform"]).lower()
        elif e.op == "add_backup":
            protects[r["id"]] = r["protects"]
            if r["id"] not in model.kind:
                added.setdefault(r["id"], "backup")

    def kind(c: str) -> str | None:
        return added.get(c) or model.kind.get(c)

    def plat(c: str) -> str | None:
        return new_platform.get(c) or platform.get(c)

    for c in added:
        if not c.startswith("new-"):
            return f"the new component {c} is not named new-...: new ids start with new-"
    rows_added = [(e.fields["component"], e.fields["depends_on"]) for e in edits if e.op == "add_dependency"]
    for e in edits:
        if e.op not in ("add_dependency", "remove_dependency"):
            continue
        c, d = e.fields["component"], e.fields["depends_on"]
        if c in model.kind and model.kind[c] in PLACE_KINDS:
            return f"it changes the rows of the {model.kind[c]} {c}: a place stays where it is"
        if e.op == "remove_dependency" and c in model.kind and kind(d) in PLACE_KINDS \
                and e.fields.get("kind") != "admin":
            if model.kind[c] != "backup":
                return f"it takes {c} out of its {kind(d)} {d}: an existing component stays in its {kind(d)}"
            if not any(c2 == c and kind(d2) == kind(d) for c2, d2 in rows_added):
                return f"it leaves {c} without a {kind(d)}: a copy moves to another {kind(d)}, never to none"
    for e in edits:
        if e.op == "set" and e.table == "backups" and e.column == "restore_to" and e.value:
            asset = model.backup[e.id].protects if e.id in model.backup else protects.get(e.id)
            target = e.value
        elif e.op == "add_backup" and e.fields.get("restore_to"):
            asset, target = e.fields["protects"], e.fields["restore_to"]
        else:
            continue
        pa, pt = plat(asset) if asset else None, plat(target)
        if pa and pt and pa != pt:
            return f"it restores {asset} ({pa}) onto {target} ({pt}): a restore lands on a target of its platform"
    have = {k for k in _index(model)["kind"] if k in PLACE_KINDS} | {k for k in added.values() if k in PLACE_KINDS}
    placed_on: dict[str, set] = {}  # component -> kinds of what its added rows are on (read once: a composite
    for c2, d2 in rows_added:        # fix adds thousands of components and rows)
        placed_on.setdefault(c2, set()).add(kind(d2))
    for c, k in added.items():
        fitting = [p for p in _PLACED.get(k, ()) if p in have]
        if fitting and not any(f in placed_on.get(c, ()) for f in fitting):
            return f"the new {k.replace('_', ' ')} {c} is not placed: expected a row on a {' or '.join(fitting)}"
    return None


# -- candidate changes ---------------------------------------------------------------------------------


_INDEX: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _index(model: Model) -> dict:
    """Per model, read once: kind -> its component ids (sorted), and the restore targets of its backups that are
    not backups themselves (sorted). The fix search asks these of every candidate; scanning the estate each time
    made a candidate cost the estate."""
    got = _INDEX.get(model)
    if got is None:
        by_kind: dict[str, list[str]] = {}
        for c in model.ids:
            by_kind.setdefault(model.kind[c], []).append(c)
        targets = sorted({i.restore_to for i in model.backup.values()
                          if i.restore_to is not None and i.restore_to not in model.backup})
        got = _INDEX[model] = {"kind": {k: tuple(v) for k, v in by_kind.items()}, "targets": tuple(targets)}
    return got


def _of_kind(model: Model, *kinds: str) -> list[str]:
    """The ids of the components of ``kinds``, sorted."""
    by_kind = _index(model)["kind"]
    if len(kinds) == 1:
        return list(by_kind.get(kinds[0], ()))
    return sorted(c for k in kinds for c in by_kind.get(k, ()))


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in str(text)).strip("-").lower() or "x"


def _strike_runs(model: Model, problem: Problem) -> list[tuple]:
    """(strike, failed set, recovery, attack or None) of each strike of the problem, once for every asset."""
    out = []
    for s in problem.strikes:
        if all(c in model.kind for c in s):
            attack = coupling.credential_compromise(model, s) if problem.mode == "credential_compromise" else None
            failed = attack.destroyed if attack is not None else coupling.scenario_failures(model, s, problem.mode)
            if failed:
                # a stolen credential's recovery is the estate's own, shared by every finding it strikes
                rec = coupling.recovery_of(model, failed) if attack is not None else model.recover(failed)
                out.append((s, failed, rec, attack))
    return out


@dataclass
class Context:
    """What the fix search of one assessment reads again and again: computed once.

    ``serious`` are the claims of the critical and high coupling findings of
    the estate as it is (:func:`serious_claims`: a fix must not add one);
    None until first needed.
    """

    production: frozenset[str]
    platform: dict[str, str]
    serious: frozenset[tuple] | None = None
    #: (problem, asset) -> change sets that make one surviving copy restorable as a whole (its whole path)
    copy_fixes: dict = dataclasses.field(default_factory=dict)
    #: the base estate's strike answers (``overlay.Base``), shared by every candidate; None until first needed
    base: object | None = None
    #: (model, its component ids as a set); None until first needed
    ids: tuple | None = None
    #: (model, platform -> its restore targets, the targets of a known platform; each sorted): ``_spare_targets``
    targets: tuple | None = None

    def base_of(self, model: Model):
        """The estate's strike answers, computed once (``overlay.Base``)."""
        if self.base is None or self.base.model is not model:
            from .overlay import Base

            self.base = Base(model)
        return self.base

    def ids_of(self, model: Model) -> frozenset[str]:
        """The estate's component ids as a set, made once (each finding's search reads them)."""
        if self.ids is None or self.ids[0] is not model:
            self.ids = (model, frozenset(model.ids))
        return self.ids[1]

    def changed(self, model: Model, edits: Sequence):
        """The whole changed estate's answers under ``edits``, re-analysing only what they can change
        (``overlay.Changed``: the same answers as a rebuild and a full re-analysis)."""
        return self.base_of(model).changed(tuple(edits))

    @classmethod
    def of(cls, model: Model, findings: Iterable[Finding] | None = None) -> Context:
        """The context of ``model``; ``findings``, when given, are its findings (their serious coupling claims)."""
        serious = None
        if findings is not None:
            serious = serious_claims(f for f in findings if f.category == "coupling" and f.severity in FIX_SEVERITIES)
        return cls(production_side(model), platforms(model), serious)

    def serious_of(self, model: Model) -> frozenset[tuple]:
        if self.serious is None:
            self.serious = serious_claims(serious_findings(model).values())
        return self.serious

    def new_findings(self, model: Model, changed: Model) -> tuple[str, ...]:
        """The critical or high coupling findings of ``changed`` that say something the estate's did not."""
        before = self.serious_of(model)
        return tuple(sorted(f.id for f in serious_findings(changed).values() if _claims(f) - before))


def _claims(f: Finding) -> frozenset[tuple]:
    """What a coupling finding says, pair by pair: (rule, cause, asset). A failure domain says each member leaves
    each asset unrecoverable; stolen credentials, each holder; corruption, the asset; a scenario, its name."""
    parts = f.id.split(":")
    rule = parts[1] if len(parts) > 1 else f.id
    if rule == "threat" and len(parts) > 2:
        rule = parts[2]
    if rule in ("domain", "credential_compromise"):
        causes = f.components
    elif rule == "scenario":
        causes = (":".join(parts[2:]),)
    else:
        causes = ("",)
    return frozenset((rule, c, a) for c in causes for a in f.assets)


def serious_claims(findings: Iterable[Finding]) -> frozenset[tuple]:
    """Every (rule, cause, asset) claim of the findings: a finding is new only when it adds one. (A domain whose
    root changes, or a stolen-credential set that shrinks, changes its id but says nothing new.)"""
    out: set[tuple] = set()
    for f in findings:
        out |= _claims(f)
    return frozenset(out)


class _Verdicts:
    """The two things the consolidated findings read of an asset's verdicts."""

    __slots__ = ("threats", "threat_causes")

    def __init__(self, threats: dict, threat_causes: dict) -> None:
        self.threats = threats
        self.threat_causes = threat_causes


def serious_findings(model: Model) -> dict[str, Finding]:
    """The critical and high coupling findings of ``model`` by id (every single failure and threat strike, new
    components struck like any of their class): what verification compares before and after a fix."""
    ub = coupling.single_failures(model)
    verdicts, causes = coupling.threat_verdicts(model, ub)
    assets = {a: _Verdicts(verdicts[a], causes[a]) for a in model.assets}
    return {f.id: f for f in coupling_findings(model, assets, ub) if f.severity in FIX_SEVERITIES}


def _survives(model: Model, backup: str, down: frozenset[str] | set[str], failed: frozenset[str] | set[str]) -> bool:
    """Whether the copy itself survives: the backup is not failed or destroyed, and no store it is kept on is
    failed, destroyed or down through what it is kept in (its host, storage, site, region, provider, account)."""
    if backup in failed:
        return False
    kind = model.kind
    for s in model.dependencies_of(backup):
        if kind[s] != "backup_store":
            continue
        if s in failed:
            return False
        if s in down:
            kept = _kept_in(model, s)
            if not kept.isdisjoint(failed) or not kept.isdisjoint(down):
                return False
    return True


#: What a store is kept in: followed through these kinds (not networks, credentials or keys).
_KEPT_THROUGH = ("service", "datastore", "backup_store", "other")


#: model -> store -> what it is kept in (``_kept_in``; a built or patched model does not change)
_KEPT: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _kept_in(model: Model, store: str) -> frozenset[str]:
    """Everything ``store`` is kept in: its rows, transitively through hosts and storage, and the places reached.

    Walked once per model and store (every copy kept on the store, of every finding, asks again)."""
    cache = _KEPT.get(model)
    if cache is None:
        cache = _KEPT[model] = {}
    hit = cache.get(store)
    if hit is None:
        hit = cache[store] = _kept_walk(model, store)
    return hit


def _kept_walk(model: Model, store: str) -> frozenset[str]:
    seen: set[str] = set()
    stack = [store]
    while stack:
        v = stack.pop()
        for w in model.dependencies_of(v):
            if w in seen:
                continue
            k = model.kind[w]
            if k in _KEPT_THROUGH or k in PLACE_KINDS:
                seen.add(w)
                if k in _KEPT_THROUGH:
                    stack.append(w)
    return frozenset(seen)


def _candidates(model: Model, problem: Problem, asset: str, strike_runs: list[tuple] | None = None,
                ctx: Context | None = None) -> list[tuple]:
    """Change sets (tuples of whatif changes) that could bring ``asset`` back.

    Reuse first: the estate's own restore targets (of the asset's platform),
    stores, key stores and places that stay up under every strike (and that
    a thief does not hold) are tried before anything new; new components are
    placed on such a place. ``find_fix`` orders and filters them.
    """
    from . import whatif

    ctx = ctx or Context.of(model)
    strike_runs = _strike_runs(model, problem) if strike_runs is None else strike_runs
    runs = [(failed, rec.final_down, attack) for _, failed, rec, attack in strike_runs if asset in rec.unrecoverable]
    if not runs:
        return []
    # what the strikes take (down, failed, held by a thief): asked of single components, never listed
    gone = _AnyOf(*(d for _, d, _ in runs), *(f for f, _, _ in runs), *(a.held for _, _, a in runs if a is not None))
    stop_all = _AnyOf(*(f for f, _, _ in runs)) if problem.kind != "domain" else {s[0] for s in problem.strikes}
    plat = ctx.platform.get(asset)
    targets = _spare_targets(model, ctx, asset, gone)
    stores = [c for c in _of_kind(model, "backup_store") if c not in gone]
    keys = [c for c in _of_kind(model, "kms") if c not in gone]
    rank = {"site": 0, "account": 1, "region": 2, "provider": 3}
    places = sorted((c for c in _of_kind(model, *PLACE_KINDS) if c not in gone),
                    key=lambda c: (rank[model.kind[c]], c))

    has_places = any(k in PLACE_KINDS for k in _index(model)["kind"])
    site_steps = _new_site(model, gone)
    new_site = site_steps[-1]

    def place_for(kinds: Sequence[str] = PLACE_KINDS) -> tuple[str, ...]:
        """An independent existing place; else, where the estate has places, the new site (added first)."""
        hit = [p for p in places if model.kind[p] in kinds]
        if hit:
            return (hit[0],)
        return (new_site.id,) if has_places and "site" in kinds else ()

    out: list[tuple] = []

    def add(*changes) -> tuple:
        if any(getattr(ch, "place", ()) == (new_site.id,) for ch in changes):
            changes = (*site_steps, *changes)
        if changes and changes not in out:
            out.append(changes)
        return changes

    # a surviving copy whose restore needs what the failure took: the same kind of thing that stays up (reused),
    # else a standby placed outside the failure; first all of one copy's needs together (its whole path)
    needs: dict[str, set[str]] = {}
    target_needed: dict[str, bool] = {}
    for failed, down, _ in runs:
        for b, path in blockers_of(model, asset, down, failed).items():
            if path.survives and path.needs:
                needs.setdefault(b, set()).update(path.needs)
                info = model.backup[b]
                target_needed[b] = target_needed.get(b, False) or (
                    info.restore_to in down if info.restore_to is not None else bool(_unmet(model, asset, down)))
    per_copy: list[tuple] = []
    for b in sorted(needs):
        rows = set(model.dependencies_of(b))
        whole: list = []
        for x in sorted(needs[b]):
            if x not in rows:
                continue
            if model.kind[x] in PLACE_KINDS or x in model.backup:
                whole = []
                break
            kind = model.kind[x]
            hosts = [h for failed_, down_, _ in runs for h in _unmet(model, x, down_)]
            if kind == "credentials" and hosts and not any(model.kind[h] in PLACE_KINDS for h in hosts):
                # a password or passphrase kept on a host the failure takes: keep it off the host (one edit)
                off = [whatif.SeparateAdminAccount(x, h) for h in sorted(set(hosts))]
                add(*off)
                whole.extend(off)
                continue
            px = ctx.platform.get(x)
            # another store or key store can hold the copy or its keys; another tool or control plane only
            # stands in where both are known to run the same platform
            spare = [c for c in _of_kind(model, kind) if c not in gone and c != x
                     and c not in model.backup and (kind in _INTERCHANGEABLE
                                                    or (px is not None and ctx.platform.get(c) == px))]
            one = whatif.Repoint(b, x, spare[0]) if spare else whatif.Repoint(
                b, x, f"new-{_slug(x)}-standby", new_kind=kind, place=place_for() if kind in _PLACED else ())
            add(one)
            whole.append(one)
        if target_needed.get(b):
            if not targets:
                continue
            whole.append(whatif.Repoint(b, model.backup[b].restore_to, targets[0]))
        if whole:
            per_copy.append(tuple(whole))
    ctx.copy_fixes[(problem, asset)] = [add(*changes) for changes in sorted(per_copy, key=len)]

    surviving_safe = any((model.backup[b].immutable or model.backup[b].offline)
                         and all(_survives(model, b, d, f) for f, d, _ in runs) for b in model.backups_of[asset])
    if problem.mode == "credential_compromise":
        _attack_candidates(model, strike_runs, asset, add)
    for b in model.backups_of[asset]:
        info = model.backup[b]
        for failed, down, _ in runs:
            # only read (membership): a strike's failed set is a frozenset already, copied per backup it was the
            # largest part of a wide credential finding's candidates
            stop = stop_all if problem.kind == "domain" else (
                failed if isinstance(failed, (set, frozenset)) else set(failed))
            target_down = (info.restore_to in down) if info.restore_to is not None else bool(_unmet(model, asset, down))
            if target_down:
                for t in targets[:_SPARE_TARGETS]:
                    if t != info.restore_to:
                        add(whatif.Repoint(b, info.restore_to, t))
                if not targets:
                    add(whatif.Repoint(b, info.restore_to, f"new-{_slug(asset)}-restore-target", new_kind="other",
                                       place=place_for()))
            if b in down:
                if b in stop and problem.mode == "credential_compromise" and not (info.immutable or info.offline):
                    add(whatif.SetProtection(b, immutable=True))
                for holder, z in _holder_rows(model, b, down, stop):
                    kind = model.kind[z]
                    backup_side = holder not in ctx.production
                    if kind == "backup_store":
                        spare = [s for s in stores if s != z]
                        for s in spare[:_SPARE_TARGETS]:
                            add(whatif.Repoint(holder, z, s))
                        if not spare:
                            add(whatif.Repoint(holder, z, f"new-{_slug(holder)}-store", new_kind="backup_store",
                                               place=place_for()))
                    elif kind == "kms":
                        for k in keys[:1]:
                            add(whatif.Repoint(holder, z, k))
                        add(whatif.Repoint(holder, z, f"new-{_slug(z)}-key-copy", new_kind="kms", place=place_for()))
                    elif kind in PLACE_KINDS:
                        if holder not in model.backup:
                            continue  # a component stays in its place; its copy may be kept elsewhere
                        spare = [p for p in places if model.kind[p] == kind and p != z]
                        for p in spare[:1]:
                            add(whatif.Repoint(holder, z, p))
                        if not spare and kind == "account":
                            add(whatif.Repoint(holder, z, "new-backup-account", new_kind="account",
                                               place=place_for(("provider",))))
                    elif kind in _SEPARABLE or (problem.kind == "domain" and backup_side):
                        add(whatif.Repoint(holder, z, f"new-{_slug(holder)}-own-{kind.replace('_', '-')}",
                                           new_kind=kind, place=place_for() if kind in _PLACED else ()))
    if not surviving_safe:
        pre: tuple = ()
        target = targets[0] if targets else None
        if target is None and any(_unmet(model, asset, d) for _, d, _ in runs):  # in place would not come back
            made = whatif.AddComponent(f"new-{_slug(asset)}-restore-target", "other", place=place_for(),
                                       platform=plat)
            pre, target = (made,), made.id
        for s in stores[:1]:
            add(*pre, whatif.AddOfflineCopy(asset, restore_to=target, store=s, offline=False))
        add(*pre, whatif.AddOfflineCopy(asset, restore_to=target, place=place_for()))
    return out


class _AnyOf:
    """Membership in any of some sets, without building their union (a stolen directory's loss is most of an
    estate, and a finding's search asks it of a few components)."""

    __slots__ = ("sets",)

    def __init__(self, *sets) -> None:
        self.sets = [x for x in sets if x]

    def __contains__(self, x: object) -> bool:
        for s in self.sets:
            if x in s:
                return True
        return False


def _spare_targets(model: Model, ctx: Context, asset: str, gone) -> list[str]:
    """The first ``_SPARE_TARGETS`` restore targets the estate has that stay up (not in ``gone``) and can take
    ``asset`` (its platform, or one not known): those of its own platform first, each group by id.

    The estate's targets are grouped by platform once per assessment; the walk stops at the first ones found."""
    plat = ctx.platform.get(asset)
    if ctx.targets is None or ctx.targets[0] is not model:
        grouped: dict[str | None, list[str]] = {}
        for t in _index(model)["targets"]:  # sorted
            grouped.setdefault(ctx.platform.get(t), []).append(t)
        known = [t for t in _index(model)["targets"] if ctx.platform.get(t) is not None]
        ctx.targets = (model, grouped, known)
    _, grouped, known = ctx.targets
    if plat is not None:  # its own platform, then the targets whose platform is not known
        order = [grouped.get(plat, ()), grouped.get(None, ())]
    else:  # no platform known: the targets whose platform is not known, then every other, by id
        order = [grouped.get(None, ()), known]
    out: list[str] = []
    for group in order:
        for t in group:
            if t != asset and t not in gone:
                out.append(t)
                if len(out) == _SPARE_TARGETS:
                    return out
    return out


def _new_site(model: Model, gone: frozenset[str]) -> tuple:
    """The changes that add a new recovery site: on a region or provider that stays up; where the estate has
    regions or providers but every one is taken, on a new provider (added first).

    The site is named by where it stands (``new-recovery-site-<region>``; ``new-recovery-site`` where the estate
    has no region or provider, or on the new provider), never by the finding it serves: every fix that proposes
    a site in the same place proposes the same site, row for row, so the plan builds one site and one copy per
    asset, not one site per finding (a client builds one recovery site, not a hundred).
    """
    from . import whatif

    up = [c for c in _of_kind(model, "region", "provider") if c not in gone]
    if up:
        return (whatif.AddComponent(f"new-recovery-site-{_slug(up[0])}", "site", place=(up[0],)),)
    if not _of_kind(model, "region", "provider"):
        return (whatif.AddComponent("new-recovery-site", "site"),)
    provider = whatif.AddComponent("new-recovery-provider", "provider")
    return provider, whatif.AddComponent("new-recovery-site", "site", place=(provider.id,))


#: How a new separate component of a kind is named in a recommendation.
_KIND_WORDS = {"credentials": "credentials", "identity": "directory", "account": "account", "kms": "key store",
               "site": "site", "region": "region", "provider": "provider", "control_plane": "control plane",
               "backup_store": "backup store", "recovery_tool": "backup server", "service": "server",
               "datastore": "storage", "network": "network", "dns": "DNS", "other": "host"}


def _attack_candidates(model: Model, strike_runs: list[tuple], asset: str, add) -> None:
    """Cut the attack paths: first every destroyed blocker of the asset's copies taken out of the domain it
    was destroyed through, all together; then each change ``whatif.attack_changes`` proposes."""
    from . import whatif

    for _, _, rec, attack in strike_runs:
        if asset not in rec.unrecoverable:
            continue
        leave = []
        for path in blockers_of(model, asset, rec.final_down, attack.destroyed).values():
            for z in path.needs:
                if z in model.backup or model.kind[z] in CREDENTIAL_KINDS:
                    continue
                steps = attack.path(z)
                via = steps[-1].via if steps else None
                if via is not None and steps[-1].action == "destroys" and model.kind[via] in CREDENTIAL_KINDS:
                    ch = whatif.LeaveDomain(z, via)
                    if ch not in leave:
                        leave.append(ch)
        if leave:
            add(*sorted(leave, key=repr))
        for ch in whatif.attack_changes(model, asset, attack):
            add(ch)


def _describe(model: Model, changes: Sequence) -> str:
    """The change set in a consultant's words (one clause per change, '; '-joined)."""
    from . import whatif

    texts: list[str] = []
    taken: dict[str, list[str]] = {}  # component -> credentials it is taken away from
    # several copies re-pointed from one thing to one other: one clause naming them all
    by_pair: dict[tuple[str | None, str], list[str]] = {}
    for ch in changes:
        if isinstance(ch, whatif.Repoint) and ch.component in model.backup and \
                ch.old != model.backup[ch.component].restore_to:
            by_pair.setdefault((ch.old, ch.new), []).append(ch.component)
    grouped = {k: v for k, v in by_pair.items() if len(v) > 1}
    said: set = set()
    for ch in changes:
        key = (getattr(ch, "old", None), getattr(ch, "new", None))
        if isinstance(ch, whatif.Repoint) and key in grouped and ch.component in grouped[key]:
            if key not in said:
                said.add(key)
                made = (f" (a new {_KIND_WORDS.get(ch.new_kind, ch.new_kind)}"
                        + (f" on {', '.join(ch.place)}" if ch.place else "") + ")") if ch.new_kind else ""
                texts.append(f"restore {_names(grouped[key], 3)} with {ch.new}{made} instead of {ch.old}")
            continue
        if isinstance(ch, whatif.Repoint) and ch.component in model.backup and ch.old == model.backup[ch.component].restore_to:
            where = f"{ch.new} (a new target outside the failure)" if ch.new_kind else ch.new
            t = f"restore {ch.component} to {where} instead of " + ("in place" if ch.old is None else ch.old)
        elif isinstance(ch, whatif.Repoint) and ch.new_kind == "credentials" and ch.new.endswith("-own-credentials") \
                and model.kind.get(ch.old) in CREDENTIAL_KINDS:
            taken.setdefault(ch.component, []).append((ch.old, ch.new))
            continue
        elif isinstance(ch, whatif.Repoint) and ch.new_kind is not None:
            word = _KIND_WORDS.get(ch.new_kind, ch.new_kind.replace("_", " "))
            on = f" on {', '.join(ch.place)}" if ch.place else ""
            t = f"give {ch.component} its own {word} ({ch.new}{on}) instead of {ch.old}"
        elif isinstance(ch, whatif.Repoint):
            t = f"move {ch.component} from {ch.old} to {ch.new}"
        elif isinstance(ch, whatif.SeparateAdminAccount) and model.kind.get(ch.escalates_from) not in CREDENTIAL_KINDS:
            t = (f"keep {ch.account} off {ch.escalates_from} (the secret kept apart, where losing or taking "
                 f"{ch.escalates_from} does not take it)")
        else:
            t = ch.describe()
        if t not in texts:
            texts.append(t)
    for z, pairs in taken.items():
        texts.append(f"take {z} out of the domain of {', '.join(o for o, _ in pairs)} (its own credentials, "
                     f"{', '.join(n for _, n in pairs)})")
    return "; ".join(texts)


@dataclass
class _Tried:
    """One candidate change set, compiled on the whole inventory and judged by the rules."""

    changes: tuple
    edits: tuple
    broken: str | None
    production: bool
    adds: bool


def _compile(model: Model, changes: tuple, ctx: Context) -> _Tried:
    from . import whatif

    try:
        edits, _ = whatif.compile_changes(model.inventory, list(changes), result=False)
    except whatif.WhatIfError as err:
        return _Tried(changes, (), f"it does not apply: {err}", False, False)
    return _Tried(changes, tuple(edits), rule_broken(model, edits, ctx.platform),
                  touches_production(model, edits, ctx.production), any(e.op == "add_component" for e in edits))


def find_fix(model: Model, problem: Problem, budget: int = FIX_BUDGET,
             work: list[int] | None = None, ctx: Context | None = None,
             share: int = FIX_WORK_PER_FINDING, wider: Sequence[tuple] = ()) -> tuple[Fix, tuple]:
    """The smallest change set found that resolves ``problem``, verified by re-analysis: (fix, changes).

    Every candidate is compiled to edits on the whole inventory and must
    keep the rules of what a fix may change (:func:`rule_broken`) before it
    is re-analysed; then reuse first (no new component), smallest (fewest
    edits) first, backup-side first: production changes are tried only when
    no backup-side set resolves it. Within ``budget`` re-analyses: each single
    candidate against the whole problem; per asset the single or pair that
    brings it back, all of them together; and the placed composite recovery
    site. The re-analysis is of the whole changed inventory (new components
    included); a set that resolves the finding is verified only if the
    changed estate has no critical or high coupling finding the estate did
    not have (else ``new_findings`` names them and the search goes on).
    ``work`` (a one-item list) is the work left for the whole assessment
    (``FIX_WORK_BUDGET``); ``share`` is what this finding may spend before
    only its composite is tried (``attach_fixes`` gives each finding an
    equal part of what is left). ``wider``: change sets verified for wider
    findings that cover every asset of this one, tried first, each first cut
    to this finding's assets (:func:`_narrowed`: the part of the wider work
    package that serves this finding), then whole.
    """
    from . import whatif

    ctx = ctx or Context.of(model)
    if work is not None and work[0] <= 0:
        return Fix(_fallback(problem), False,
                   f"not searched: the assessment's search budget of {FIX_WORK_BUDGET:,} work units went to the "
                   "findings searched before it (the narrow ones, then the most severe)"), ()
    before = ctx.ids_of(model)
    share = [share]  # this finding's share of the assessment's budget
    tried: list[str] = []
    rejected: dict[str, str] = {}
    side: list[tuple[_Tried, tuple[str, ...]]] = []
    compiled: dict[tuple, _Tried] = {}
    answers: dict[tuple, bool] = {}
    spent = 0

    def judged(changes: tuple) -> _Tried:
        if changes not in compiled:
            compiled[changes] = _compile(model, changes, ctx)
            share[0] -= _COMPILE_COST
            if work is not None:
                work[0] -= _COMPILE_COST
            t = compiled[changes]
            if t.broken is not None:
                rejected.setdefault(_describe(model, changes), t.broken)
        return compiled[changes]

    def works(changes: tuple, prob: Problem, reserve: int = 1, whole: bool = False) -> bool | None:
        """Re-analyse with ``changes``; None once the budget (less ``reserve`` kept for the composite) is spent.
        ``whole``: the set answers the whole problem, so its side effects are checked too."""
        nonlocal spent
        t = judged(changes)
        if t.broken is not None:
            return False
        key = (changes, prob.assets, whole)
        if key in answers:
            return answers[key]
        if spent >= budget - reserve or (work is not None and work[0] <= 0) or (reserve and share[0] <= 0):
            return None
        spent += 1
        from .edits import EditError

        try:
            changed = ctx.changed(model, t.edits)
        except EditError as err:  # compiled on the inventory, so it applies; said plainly if it does not
            rejected.setdefault(_describe(model, changes), f"it does not apply: {err}")
            answers[key] = False
            return False
        text = _describe(model, changes)
        if text not in tried:
            tried.append(text)
        ok = changed.resolved(prob, before)
        if ok and whole:
            new = changed.new_findings(ctx.serious_of(model))
            if new:
                side.append((t, new))
                ok = False
        spent_work = changed.work - changed.charged + (_CHANGE_COST if not changed.charged else 0)
        changed.charged = changed.work
        share[0] -= spent_work
        if work is not None:
            work[0] -= spent_work
        answers[key] = ok
        return ok

    strike_runs = _strike_runs(model, problem)
    few = problem.assets if len(problem.assets) <= _PER_ASSET_LIMIT else problem.assets[:3]
    raw = {a: _candidates(model, problem, a, strike_runs, ctx) for a in few}

    def order(cands: list[tuple], production: bool) -> list[tuple]:
        """The candidates that keep the rules: reuse before new, fewest edits first; production ones only in the
        second round (after every backup-side one)."""
        keep = [c for c in cands if judged(c).broken is None and (production or not judged(c).production)]
        idx = {c: i for i, c in enumerate(cands)}
        return sorted(keep, key=lambda c: (judged(c).production, judged(c).adds, len(judged(c).edits), idx[c]))

    if len(few) > 1:  # every asset's own surviving copy made restorable, all together (shared standbys)
        joint: list = []
        for a in few:
            whole = ctx.copy_fixes.get((problem, a)) or [()]
            for x in whole[0]:
                if x not in joint:
                    joint.append(x)
        if joint:
            site = [x for x in joint if isinstance(x, whatif.AddComponent)]
            joint = tuple(site[:1] + [x for x in joint if not isinstance(x, whatif.AddComponent)])
            for a in few:
                raw[a] = [joint, *raw[a]]

    answer: tuple | None = None
    for c in wider:
        narrow = _narrowed(c, problem.assets)
        # the cut site is a new candidate, re-analysed from scratch: judged on the changed closures while it
        # copies at most overlay.JUDGED_LIMIT assets; beyond that its re-analysis is the whole estate's for
        # every single failure it reaches, which the budget cannot pay for every wide finding: the whole
        # wider fix (already re-analysed, so nearly free) is then the answer
        cheap = len(problem.assets) <= JUDGED_LIMIT
        for option in (narrow, c) if narrow != c and cheap else (c,):
            if works(option, problem, reserve=0, whole=True):
                answer = option
                break
        if answer is not None:
            break
    for production in (False, True) if answer is None else ():
        if production and not any(judged(c).production for a in few for c in raw[a] if judged(c).broken is None):
            break
        per_asset = {a: order(raw[a], production) for a in few}
        shared = set.intersection(*(set(per_asset[a]) for a in few)) if few else set()
        singles = [c for c in per_asset[few[0]] if c in shared] if few else []
        for c in singles:
            ok = works(c, problem, whole=True)
            if ok is None:
                break
            if ok:
                answer = c
                break
        if answer is None and len(problem.assets) <= _PER_ASSET_LIMIT:
            answer = _per_asset_search(problem, per_asset, lambda c, p, whole=False: works(c, p, whole=whole))
        if answer is None and not production:
            gone = _AnyOf(*(rec.final_down for _, _, rec, _ in strike_runs),
                          *(a.held for _, _, _, a in strike_runs if a is not None))
            steps = _new_site(model, gone)  # one site per place, shared by every finding's fix (the plan's)
            has_places = any(k in PLACE_KINDS for k in _index(model)["kind"])
            site = whatif.AddRecoverySite(problem.assets, name=steps[-1].id, place=steps[-1].place,
                                          kind="site" if has_places else "other")
            composite = (*steps[:-1], site)
            if works(composite, problem, reserve=0, whole=True):
                answer = composite
        if answer is not None:
            break
    if answer is not None:
        t = judged(answer)
        fix = Fix(_describe(model, answer), True, _effect(problem), changes=t.edits, steps=answer,
                  reuses=reused_by(model, t.edits), production=t.production)
        return fix, answer
    shown = "; ".join(tried[:6]) + (f" and {len(tried) - 6} more" if len(tried) > 6 else "")
    if not spent and work is not None and work[0] <= 0:
        effect = (f"not searched: the assessment's search budget of {FIX_WORK_BUDGET:,} work units went to the "
                  "findings searched before it (the narrow ones, then the most severe)")
    else:
        effect = (f"no change set found within the search budget of {budget} re-analyses: "
                  f"{spent} tried ({shown or 'no candidate applied'}), none left "
                  f"{_names(problem.assets)} recoverable")
    if rejected:
        why = "; ".join(f"{c} ({r})" for c, r in list(rejected.items())[:3])
        effect += f"; {len(rejected)} not tried as no change an engineer can make: {why}"
    if side:
        t, new = side[0]
        effect = (f"re-analysed on the whole changed inventory: it resolves the finding but raises "
                  f"{_names(new, 3)} (critical or high), so it is not verified; " + effect)
        return Fix(_describe(model, t.changes), False, effect, changes=t.edits, steps=t.changes,
                   reuses=reused_by(model, t.edits), new_findings=new, production=t.production), ()
    return Fix(_fallback(problem), False, effect), ()


def _narrowed(changes: tuple, assets: Sequence[str]) -> tuple:
    """A change set verified for a wider finding, cut to ``assets``: its recovery site holds copies of these
    assets only (same site, same place, same names, so the plan sees one site). What a narrower finding
    tries first: the smallest part of the wider work package that resolves it, not the whole package."""
    from . import whatif

    keep = set(assets)
    out = []
    for x in changes:
        if isinstance(x, whatif.AddRecoverySite):
            held = tuple(a for a in x.assets if a in keep)
            if not held:
                return changes
            x = dataclasses.replace(x, assets=held)
        out.append(x)
    return tuple(out)


def edits_mod_apply(inventory, edits: Sequence):
    """``edits.apply_changes`` (imported late: the edit module reads the inventory module)."""
    from .edits import apply_changes

    return apply_changes(inventory, edits)


def verify(model: Model, problem: Problem, changes: Sequence, ctx: Context | None = None) -> Fix:
    """Judge one change set as :func:`find_fix` judges its candidates: the rules, then the whole changed
    inventory re-analysed (resolved, and no new critical or high finding). Returns the fix, verified or not."""
    ctx = ctx or Context.of(model)
    t = _compile(model, tuple(changes), ctx)
    text = _describe(model, tuple(changes))
    if t.broken is not None:
        return Fix(text, False, f"not a change an engineer can make: {t.broken}", changes=t.edits,
                   steps=tuple(changes), production=t.production)
    changed = ctx.changed(model, t.edits)
    kw = dict(changes=t.edits, steps=tuple(changes), reuses=reused_by(model, t.edits), production=t.production)
    if not changed.resolved(problem, ctx.ids_of(model)):
        return Fix(text, False, f"re-analysed on the whole changed inventory: {_names(problem.assets)} still "
                                "unrecoverable", **kw)
    new = changed.new_findings(ctx.serious_of(model))
    if new:
        return Fix(text, False, f"re-analysed on the whole changed inventory: it resolves the finding but raises "
                                f"{_names(new, 3)} (critical or high)", new_findings=new, **kw)
    return Fix(text, True, _effect(problem), **kw)


def _per_asset_search(problem: Problem, per_asset: dict[str, list[tuple]], works) -> tuple | None:
    """Asset by asset, the first single or pair of its candidates that brings it back; all of them together.

    None when some asset has none within the budget or the union does not
    resolve the whole problem (side effects included).
    """
    chosen: list = []
    for a in problem.assets:
        one = dataclasses.replace(problem, assets=(a,))
        if chosen and works(tuple(chosen), one):
            continue  # what was chosen for the others brings this one back too
        cands = per_asset.get(a, [])
        got = None
        trials = ([c for c in cands] if len(problem.assets) > 1 else []) + [
            cands[i] + tuple(x for x in cands[j] if x not in cands[i])
            for i in range(len(cands)) for j in range(i + 1, len(cands))
        ]
        for c in trials:
            ok = works(c, one)
            if ok is None:
                return None
            if ok:
                got = c
                break
        if got is None:
            return None
        chosen.extend(x for x in got if x not in chosen)
    combined = tuple(chosen)
    return combined if works(combined, problem, whole=True) else None


def _effect(problem: Problem) -> str:
    assets = _names(problem.assets)
    if problem.kind == "domain":
        what = f"the failure of any of {_names([s[0] for s in problem.strikes])}"
    elif problem.kind == "credential_compromise":
        what = f"a stolen {_names([s[0] for s in problem.strikes])}"
    elif problem.kind == "logical_corruption":
        what = "corruption"
    else:
        what = "the scenario"
    return (f"re-analysed on a copy of the inventory with the change (the whole estate, new components struck "
            f"too): {assets} recoverable after {what}, and no new critical or high finding")


def _fallback(problem: Problem) -> str:
    return (f"a recovery path for {_names(problem.assets)} that shares nothing with "
            + ("the failed chain" if problem.kind == "domain" else "what the failure takes"))


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


#: Factors tried, smallest first, when scaling the restore capacity of a bottleneck.
CAPACITY_FACTORS = (1.25, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0)


def _capacity_misses(model: Model, finding: Finding, scale: dict[str, float] | None) -> bool:
    """Whether the capacity finding is still in place in ``model`` with limits scaled by ``scale``."""
    from . import capacity

    lim = capacity.limits(model)
    if scale:
        lim = {c: (v.scaled(scale[c]) if c in scale else v) for c, v in lim.items()}
    parts = finding.id.split(":")
    if parts[1] == "routine-rto-miss":
        a = parts[2]
        hours, _ = capacity.routine_hours(model, a, lim)
        comps = model.inventory.components
        rto = comps.loc[comps["id"] == a, "rto_hours"].iloc[0]
        return hours is not None and hours > float(rto) + 1e-9
    name = ":".join(parts[2:])
    for n, kind, failed in capacity.scenario_failures(model):
        if n == name:
            built = capacity.build_scenario(model, n, kind, failed, lim)
            res = capacity.run_scenario(model, built, None, lim, with_headroom=False)
            return bool(res.misses)
    return False


def capacity_fix(model: Model, finding: Finding, work: list[int] | None = None) -> tuple[Fix, tuple]:
    """Add capacity on the bottleneck: the smallest factor in ``CAPACITY_FACTORS`` on every limited component of
    the finding that clears it, found on scaled limits, then verified by applying ``whatif.ScaleCapacity`` to a
    copy of the inventory and re-running the scenario. Unverified (with what was tried) when none does."""
    from . import capacity, whatif

    lim = capacity.limits(model)
    comps = [c for c in finding.components if c in lim]
    if not comps:
        return Fix(f"faster restores of {_names(finding.assets)}", False,
                   "no component on the restore path has a throughput or parallelism limit to raise: the restores "
                   "run at their backups' own rates (faster media, parallel streams or agreed RTOs are needed)"), ()
    if work is not None and work[0] <= 0:
        return Fix(f"more restore capacity on {_names(comps)}", False,
                   f"not searched: the assessment's search budget of {OTHER_WORK_BUDGET:,} component re-analyses "
                   "went to more severe findings first"), ()
    lo, hi = -1, len(CAPACITY_FACTORS) - 1  # bisect for the smallest factor that clears it (misses shrink as it grows)

    routine = finding.id.split(":")[1] == "routine-rto-miss"

    def clears(i: int) -> bool:
        if work is not None:  # one restore's path timed again, or a whole scenario's restores scheduled again
            work[0] -= 1 + len(finding.components) if routine else len(model.ids)
        return not _capacity_misses(model, finding, dict.fromkeys(comps, CAPACITY_FACTORS[i]))

    if clears(hi):
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if clears(mid):
                hi = mid
            else:
                lo = mid
        f = CAPACITY_FACTORS[hi]
        changes = tuple(whatif.ScaleCapacity(c, f) for c in comps)
        # the model of the changed inventory, patched from the estate's (``overlay.patch``: the same model as a
        # rebuild, without building the whole estate again for a few components' capacity cells)
        changed, _ = overlay.patch(model, whatif.compile_changes(model.inventory, changes, result=False)[0])
        if not _capacity_misses(changed, finding, None):
            text = "; ".join(ch.describe() for ch in changes)
            return Fix(text, True, f"re-analysed on a copy of the inventory: every restore of "
                                   f"'{':'.join(finding.id.split(':')[2:])}' meets its RTO"), changes
    tried = ", ".join(f"{f:g}x" for f in CAPACITY_FACTORS)
    return Fix(f"more restore capacity on {_names(comps)}", False,
               f"scaling {_names(comps)} by {tried} does not bring every restore within its RTO: the backups' own "
               "restore rates or the waits for earlier restores limit it (faster media, parallel streams, agreed RTOs)"), ()


def production_side(model: Model) -> frozenset[str]:
    """What production runs on: every protected asset and what it requires, transitively (not its backups).

    A fix that changes the rows of one of these changes a production asset's
    own requirements (``production: true``); everything else a fix may touch
    (backups, their stores, tools, keys and credentials, restore targets, new
    components) is backup-side.
    """
    seen: set[str] = set()
    stack = list(model.assets)
    while stack:
        v = stack.pop()
        if v in seen:
            continue
        seen.add(v)
        stack.extend(model.dependencies_of(v))
    return frozenset(seen)


def reused_by(model: Model, edits: Sequence) -> tuple[str, ...]:
    """The existing components a fix's edits rely on: stores, targets, places and key copies it points at."""
    from .edits import new_ids

    added = set(new_ids(edits))
    out: set[str] = set()
    for e in edits:
        r = e.fields
        if e.op == "add_dependency" and r.get("depends_on") in model.kind and r.get("depends_on") not in added:
            out.add(r["depends_on"])
        if e.op in ("add_dependency", "remove_dependency") and r.get("component") in model.backup:
            out.add(r["component"])  # an existing copy, restored another way
        elif e.op == "set" and e.table == "backups" and e.column == "restore_to" and e.value in model.kind:
            out.add(e.value)
        elif e.op == "add_backup":
            for col in ("restore_to", "alert_channel"):
                if r.get(col) in model.kind and r.get(col) not in added:
                    out.add(r[col])
    return tuple(sorted(out))


def touches_production(model: Model, edits: Sequence, production: frozenset[str] | None = None) -> bool:
    """Whether the edits change the rows of a component production runs on (see :func:`production_side`)."""
    production = production_side(model) if production is None else production
    return any(e.op in ("add_dependency", "remove_dependency") and e.fields.get("component") in production
               for e in edits)


def written_down(model: Model, fix: Fix, changes: Sequence) -> Fix:
    """``fix`` with its what-if ``changes`` compiled to ``fix.changes`` edits on the whole inventory, with
    ``reuses`` and ``production`` read from them (unverified, saying why, if they no longer compile)."""
    from . import whatif

    if not changes:
        return fix
    try:
        edits, _ = whatif.compile_changes(model.inventory, list(changes), result=False)
    except whatif.WhatIfError as err:
        return dataclasses.replace(fix, verified=False, effect=f"{fix.effect}; but it does not apply to the whole "
                                   f"inventory: {err}")
    return dataclasses.replace(fix, changes=tuple(edits), steps=tuple(changes), reuses=reused_by(model, edits),
                               production=touches_production(model, edits))


def _pooled(fix: Fix | None, pool: tuple[dict, dict]) -> Fix | None:
    """``fix`` with its edits the very objects of the equal edits (and the equal edit list) of the fixes pooled
    before it. Many findings' fixes are the same wide change set compiled again (a wider fix tried first, a
    composite shared by every finding of one strike): at 20,000 components 700,000 edits, 26,000 of them
    different, each hundreds of bytes kept for the whole assessment. Equal edits, equal fixes: nothing else
    changes."""
    if fix is None or not fix.changes:
        return fix
    edits, lists = pool
    hit = lists.get(fix.changes)
    if hit is None:
        hit = tuple([edits.setdefault(e, e) for e in fix.changes])
        lists[hit] = hit
    return fix if hit is fix.changes else dataclasses.replace(fix, changes=hit)


def _width(entry: tuple[frozenset[str], tuple]) -> int:
    return len(entry[0])


def _wider(verified: Sequence[tuple[frozenset[str], tuple]], assets: Sequence[str]) -> list[tuple]:
    """The change sets of the first ``_REUSED`` fixes in ``verified`` (sorted by width) whose assets hold every one
    of ``assets``: what a wide finding tries first. None for a narrow finding (it is searched asset by asset)."""
    if len(assets) <= _PER_ASSET_LIMIT:
        return []
    need = frozenset(assets)
    out = []
    for held, changes in itertools.islice(verified, bisect.bisect_left(verified, len(need), key=_width), None):
        if need <= held:
            out.append(changes)
            if len(out) == _REUSED:
                break
    return out


def attach_fixes(model: Model, findings: Iterable[Finding], budget: int = FIX_BUDGET,
                 silent_memo: dict | None = None) -> list[Finding]:
    """The findings with a verified (or plainly unverified) fix on every critical or high coupling, capacity and
    silent-failure finding (``silentfix``).

    The recommendation becomes the fix in words; an unverified fix keeps
    the finding's own recommendation and says what was tried. ``silent_memo``
    (``silentfix.seeded_memo``) hands the silent-failure fixes the estate's
    own scoring to start from; without it they score the estate once more.
    """
    findings = list(findings)
    out: dict[int, Finding] = {}
    cache: dict[Problem, tuple[Fix, tuple]] = {}
    work = [FIX_WORK_BUDGET]  # the coupling fix search's, in strikes re-analysed
    other = [OTHER_WORK_BUDGET]  # the capacity and silent-failure fixes', in component re-analyses
    ctx = Context.of(model, findings)
    silent_memo = {} if silent_memo is None else silent_memo  # the silent re-scorings share the job-history summaries
    pool: tuple[dict, dict] = ({}, {})  # the fixes' edits, each kept once (``_pooled``)

    def rank(i: int) -> tuple:
        f = findings[i]
        tier = _best_tier(model, [a for a in f.assets if a in model.kind])
        return (severity_rank(f.severity), 99 if tier is None else tier, -len(f.assets), f.id)

    ranked = sorted(range(len(findings)), key=rank)
    problems = {i: problem_of(model, findings[i]) for i in ranked
                if findings[i].fix is None and findings[i].severity in FIX_SEVERITIES}
    # the narrow coupling problems (searched asset by asset, cheap) first, then the wide ones, each most severe first
    ranked.sort(key=lambda i: problems.get(i) is not None and len(problems[i].assets) > _PER_ASSET_LIMIT)
    # the coupling problems still to search, in turn: each gets an equal part of the work left when it comes up
    left = len({p for p in problems.values() if p is not None})
    # (assets, changes) of the fixes verified so far, smallest first (in the order verified among equals)
    verified: list[tuple[frozenset[str], tuple]] = []
    for i in ranked:
        f = findings[i]
        if f.fix is not None or f.severity not in FIX_SEVERITIES:
            out[i] = f
            continue
        if f.category == "capacity" and f.id.split(":")[1] in ("rto-miss", "routine-rto-miss"):
            fix, changes = capacity_fix(model, f, other)
            fix = _pooled(written_down(model, fix, changes), pool)
            rec = _sentence(fix.change) + " " + _sentence(fix.effect) if fix.verified else f.recommendation
            out[i] = dataclasses.replace(f, fix=fix, recommendation=rec)
            continue
        if f.category == "silent_failure":  # fixed by evidence and settings, verified by scoring again
            from .silentfix import silent_fix

            out[i] = dataclasses.replace(f, fix=_pooled(silent_fix(model, f, findings, silent_memo, other), pool))
            continue
        problem = problems[i]
        if problem is None:
            out[i] = f
            continue
        if problem not in cache:
            share = min(FIX_WORK_PER_FINDING, max(work[0], 0) // max(left, 1))
            fix, changes = find_fix(model, problem, budget, work, ctx, share, _wider(verified, problem.assets))
            cache[problem] = _pooled(fix, pool), changes
            left -= 1
            if cache[problem][0].verified and cache[problem][1]:
                bisect.insort_right(verified, (frozenset(problem.assets), cache[problem][1]), key=_width)
        fix, changes = cache[problem]
        if changes and not fix.changes:
            fix = _pooled(written_down(model, fix, changes), pool)
        rec = f.recommendation
        if fix.verified:
            rec = _sentence(fix.change) + " " + _sentence(fix.effect)
        out[i] = dataclasses.replace(f, fix=fix, recommendation=rec)
    return [out[i] for i in range(len(findings))]


# -- the findings ---------------------------------------------------------------------------------------


def _tier(model: Model, asset: str) -> int | None:
    return model.tier.get(asset)


def _best_tier(model: Model, assets: Iterable[str]) -> int | None:
    tiers = [t for t in (_tier(model, a) for a in assets) if t is not None]
    return min(tiers) if tiers else None


def _domain_finding(model: Model, d: Domain, down: frozenset[str]) -> Finding:
    """The finding of failure domain ``d``; ``down`` is what stays down after its root fails and every restore."""
    failed = frozenset((d.root,))
    blocked = {a: blockers_of(model, a, down, failed) for a in d.assets}
    blockers = finding_blockers(blocked.values())
    surviving = sorted({b for per in blocked.values() for b, p in per.items() if p.survives and p.needs})
    unprotected = [x for x in d.members if x not in model.backups_of and model.kind[x] != "backup"]
    if d.members == (d.root,) and d.assets == (d.root,):
        a = d.root
        title = f"Recovering {a} needs {a} itself"
        rec = (f"Give {a} a recovery path that does not need {a}: a backup with its own storage, "
               f"credentials and a restore target that runs without {a}.")
    else:
        what = d.root if len(d.members) == 1 else f"One failure in {d.label} ({', '.join(d.members)})"
        title = (f"{what} takes down {_names(d.assets)} and every way of recovering "
                 f"{'it' if len(d.assets) == 1 else 'them'}")
        if blockers and surviving:
            title += (f": {_names(surviving, 2)} survive{'s' if len(surviving) == 1 else ''} but "
                      f"{'its' if len(surviving) == 1 else 'their'} restore needs {_names(blockers, 3)}")
        elif blockers:
            title += f": no copy survives (lost with {_names(blockers, 3)})"
        rec = (f"Separate the recovery of {_names(d.assets)} from {d.label}: a copy whose storage, "
               f"credentials and keys do not depend on it, restored to a target outside it.")
    parts = []
    if len(d.members) > 1:
        parts.append(f"chain: {' -> '.join(d.members)}; each alone leaves the same "
                     f"{len(d.assets)} asset(s) unrecoverable")
    if len(unprotected) and len(d.assets) >= coupling.KEYSTONE_MIN_ASSETS:
        parts.append(f"no backup of {', '.join(unprotected)} yet {len(d.assets)} assets cannot be recovered without "
                     f"{'it' if len(unprotected) == 1 else 'them'}")
    for a in d.assets[:5]:
        bl = _blocker_text(blocked[a], "down")
        parts.append(f"{a}: " + coupling.common_cause_evidence(model, a, d.root) + (f"; blocked: {bl}" if bl else ""))
    if len(d.assets) > 5:
        parts.append(f"and {len(d.assets) - 5} more assets")
    return Finding(
        id=f"coupling:domain:{d.root}",
        category="coupling",
        severity=coupling.severity_for_tier(_best_tier(model, d.assets)),
        title=title,
        assets=d.assets,
        components=d.members,
        evidence="; ".join(parts),
        recommendation=rec,
        blockers=tuple(blockers),
    )


def _credential_findings(model: Model, assets: dict) -> list[Finding]:
    """One finding per set of stolen credentials that defeats the same assets."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for a, ac in assets.items():
        holders = tuple(ac.threat_causes.get("credential_compromise", ()))
        if holders:
            groups.setdefault(holders, []).append(a)
    out = []
    # each holder's attack, recovery and description, once for every group (the recovery is shared with the
    # threat verdicts, which asked the same question)
    attacks: dict[str, coupling.Compromise] = {}
    recs: dict = {}
    destroyed: dict[str, frozenset[str]] = {}
    lost_by: dict[str, frozenset[str]] = {}
    line: dict[str, str] = {}
    for holders, lost in sorted(groups.items()):
        for k in holders:
            if k not in attacks:
                attacks[k] = coupling.credential_compromise(model, k)
                destroyed[k] = attacks[k].destroyed
                recs[k] = coupling.recovery_of(model, destroyed[k])
                lost_by[k] = frozenset(recs[k].unrecoverable)
        per_asset = {}
        # each asset is explained by the widest attack that defeats it (the most it destroys, then id)
        widest = sorted(holders, key=lambda k: (-len(destroyed[k]), k))
        worst = {a: next(k for k in widest if a in lost_by[k]) for a in lost}
        for a in lost:
            k = worst[a]
            per_asset[a] = blockers_of(model, a, recs[k].final_down, destroyed[k])
        blockers = finding_blockers(per_asset.values())
        # a copy survives when neither it nor a store it is kept on is destroyed or lost (its restore may be blocked)
        surviving = sorted({b for per in per_asset.values() for b, p in per.items() if p.survives})
        if surviving:
            others = [x for x in blockers if x not in model.backup]
            title = (f"A stolen {_names(holders, 2)} leaves {_names(lost)} unrecoverable: "
                     f"{_names(surviving) if len(surviving) <= 2 else f'{len(surviving)} copies'} "
                     f"survive{'s' if len(surviving) == 1 else ''} but "
                     f"{'its' if len(surviving) == 1 else 'their'} restore needs {_names(others or blockers, 3)}, destroyed")
            rec = (f"Make the surviving copies restorable without {_names(holders, 2)}: take "
                   f"{_names(others or blockers, 3)} out of its reach (separate credentials and keys) "
                   "or restore to a target outside it.")
        else:
            title = (f"A stolen {_names(holders, 2)} destroys {_names(lost)} and every backup able to restore "
                     f"{'it' if len(lost) == 1 else 'them'}: recovery needs {_names(blockers, 3)}, destroyed")
            rec = (f"Keep at least one backup of {_names(lost)} immutable or offline, in a store that "
                   f"{_names(holders, 2)} cannot administer.")
        for k in holders[:4]:
            if k not in line:
                line[k] = f"holding {k} destroys {_names(sorted(destroyed[k]), 8)}"
        lines = [line[k] for k in holders[:4]]
        if len(holders) > 4:
            lines.append(f"and {len(holders) - 4} more stolen credentials do the same")
        for a in lost[:5]:
            lines.append(f"{a}: " + coupling.compromise_evidence(model, a, attacks[worst[a]]))
        for a in lost[:5]:
            bl = _blocker_text(per_asset[a], "destroyed")
            if bl:
                lines.append(f"{a}: {bl}")
        if len(lost) > 5:
            lines.append(f"and {len(lost) - 5} more assets")
        out.append(Finding(
            id="coupling:threat:credential_compromise:" + "+".join(holders),
            category="coupling",
            severity=coupling.severity_for_tier(_best_tier(model, lost), raise_by=1),
            title=title,
            assets=tuple(lost),
            components=holders,
            evidence="; ".join(lines),
            recommendation=rec,
            blockers=tuple(blockers),
        ))
    return out


def _corruption_findings(model: Model, assets: dict) -> list[Finding]:
    out = []
    for a, ac in assets.items():
        if ac.threats.get("logical_corruption") != "unrecoverable":
            continue
        failed = coupling.scenario_failures(model, (a,), "logical_corruption")
        down = model.recover(failed).final_down
        blocked = blockers_of(model, a, down, failed)
        blockers = finding_blockers([{b: p for b, p in blocked.items() if model.backup[b].method != "replica"}]) \
            or finding_blockers([blocked])
        reps = [b for b in model.backups_of[a] if model.backup[b].method == "replica"]
        clean = [b for b in model.backups_of[a] if b not in reps]
        ev = f"{a} corrupted; replica backups copy the damage: {', '.join(reps) or 'none'}"
        ev += f"; other backups: {', '.join(clean) or 'none'}"
        bl = _blocker_text({b: blocked[b] for b in clean}, "down")
        if bl:
            ev += f"; {bl}"
        if clean:
            needs = [x for x in blockers if x not in reps]
            title = (f"Corrupting {a}: the clean copies {_names(clean, 2)} cannot be restored, "
                     f"their restore needs {_names(needs or blockers, 3)}")
            rec = (f"Make a clean copy of {a} restorable without {_names(needs or blockers, 3)}: "
                   "restore it to a separate target, with its own dependencies.")
        else:
            title = f"Corrupting {a} leaves no clean copy to restore"
            rec = (f"Add a point-in-time backup of {a} (snapshot, dump or object copy with retention) "
                   "that does not replicate changes as they happen.")
        out.append(Finding(
            id=f"coupling:threat:logical_corruption:{a}",
            category="coupling",
            severity=coupling.severity_for_tier(_tier(model, a), raise_by=1),
            title=title,
            assets=(a,),
            components=(a, *reps),
            evidence=ev,
            recommendation=rec,
            blockers=tuple(blockers),
        ))
    return out


def _scenario_findings(model: Model, claimed: dict[str, list[tuple[str, ...]]]) -> list[Finding]:
    """Declared scenarios that leave assets unrecoverable, unless a domain or threat finding already says so."""
    out = []
    seen = set()
    for s in model.inventory.meta.scenarios:
        failed = coupling.scenario_failures(model, s.fail, s.mode)
        if not failed:
            continue
        rec = model.recover(failed)
        lost = rec.unrecoverable
        fail = tuple(sorted(s.fail))
        if not lost or (len(fail) == 1 and lost in claimed.get(fail[0], ())):
            continue
        slug = _slug(s.name)
        if slug in seen:
            continue
        seen.add(slug)
        blocked = {a: blockers_of(model, a, rec.final_down, failed) for a in lost}
        blockers = finding_blockers(blocked.values())
        lines = [f"failed: {_names(sorted(failed), 8)}" + (f" (read as {s.mode})" if s.mode else "")]
        for a in lost:
            bl = _blocker_text(blocked[a], "down")
            if bl:
                lines.append(f"{a}: {bl}")
        out.append(Finding(
            id=f"coupling:scenario:{slug}",
            category="coupling",
            severity=coupling.severity_for_tier(_best_tier(model, lost)),
            title=f"Scenario '{s.name}' leaves {_names(lost)} unrecoverable: recovery needs {_names(blockers, 3)}",
            assets=lost,
            components=tuple(sorted(set(s.fail))),
            evidence="; ".join(lines),
            recommendation=(f"Give {_names(lost)} a recovery path that survives '{s.name}': "
                            f"a copy and restore target that do not need {_names(blockers, 3)}."),
            blockers=tuple(blockers),
        ))
    return out


@paused  # a recovery and blockers per failure domain: no collection walking the estate meanwhile
def coupling_findings(model: Model, assets: dict, unrecoverable_by: dict[str, tuple[str, ...]]) -> list[Finding]:
    """The consolidated coupling findings: one per failure domain, per stolen credential set,
    per corrupted asset and per declared scenario not already covered; each with its blockers."""
    domains = failure_domains(model, unrecoverable_by)
    # the roots' final down sets were kept by the single-failure pass; let go of them once read
    out = [_domain_finding(model, d, coupling.single_failure_down(model, d.root)) for d in domains]
    coupling.release_single_downs(model)
    cred = _credential_findings(model, assets)
    out += cred
    out += _corruption_findings(model, assets)
    # single failures already claimed: component -> the asset sets its domain or stolen-credential finding names
    # (listed per component, not hashed as (failure, assets) pairs: the asset tuples are long)
    claimed: dict[str, list[tuple[str, ...]]] = {}
    for d in domains:
        for x in d.members:
            claimed.setdefault(x, []).append(d.assets)
    for f in cred:
        for k in f.components:
            claimed.setdefault(k, []).append(f.assets)
    out += _scenario_findings(model, claimed)
    return out


def findings_of(model: Model, result: coupling.CouplingResult) -> list[Finding]:
    """Every coupling finding of an analysed estate: the consolidated ones of this layer (failure domains,
    stolen credentials, corruption, declared scenarios), then the verdicts' own (cycles, RTO inversions)."""
    return coupling_findings(model, result.assets, result.unrecoverable_by) + list(result.findings)
