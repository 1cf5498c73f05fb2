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
  keys"; at most ``FIX_BUDGET`` re-analyses per finding. The re-analysis is
  targeted: it runs on the part of the inventory that can change the
  assets' verdicts (their closures, plus what a stolen credential reaches),
  checked against the whole inventory's verdict before any candidate is
  tried.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from . import coupling
from . import model as model_mod
from .findings import Finding, Fix, severity_rank
from .model import Model

__all__ = [
    "CREDENTIAL_KINDS",
    "FIX_BUDGET",
    "FIX_SEVERITIES",
    "FIX_WORK_BUDGET",
    "FIX_WORK_PER_FINDING",
    "Domain",
    "Problem",
    "CAPACITY_FACTORS",
    "attach_fixes",
    "capacity_fix",
    "blockers_of",
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
#: Component re-analyses (the size of each re-analysed inventory, summed) one assessment spends on
#: fixes at most, most severe findings first; later findings say they were not searched.
FIX_WORK_BUDGET = 120_000
#: Component re-analyses one finding may spend at most: a finding whose re-analysed inventory is large
#: gets fewer re-analyses (at least two: a shared change and the composite), so that the budget of an
#: assessment spreads over many findings.
FIX_WORK_PER_FINDING = FIX_WORK_BUDGET // 8
#: Above this many assets a finding skips the asset-by-asset search (singles, then the composite).
_PER_ASSET_LIMIT = 6
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
        up = sum(1 for m in members if m not in down)
        if up < needs:
            out.extend(m for m in members if m in down)
    return sorted(set(out))


def blockers_of(
    model: Model, asset: str, down: frozenset[str], stop: Iterable[str], memo: dict | None = None
) -> dict[str, tuple[str, ...]]:
    """Backup -> the components that stand between it and recovering ``asset``.

    Walks each recovery path from what it needs (the backup; its restore
    target, or the asset's own requirements when it restores in place)
    through ``down`` components, stopping at the first members of ``stop``
    (the failed or destroyed components, or the domain's members). A backup
    whose path is up maps to (). When the walk meets no member of ``stop``
    (a cycle), the nearest down components are named instead. ``memo``
    (a dict kept by the caller for one ``down`` and ``stop``) shares the
    walks between the assets of one finding.
    """
    stop = stop if isinstance(stop, (set, frozenset)) else set(stop)
    memo = {} if memo is None else memo

    def reach(v: str) -> frozenset[str]:
        """The members of ``stop`` met first walking from ``v`` through down components (one search per start)."""
        if v not in memo:
            found, seen, queue = set(), {v}, [v]
            while queue:
                u = queue.pop()
                if u in stop:
                    found.add(u)
                    continue
                for t in _unmet(model, u, down):
                    if t not in seen:
                        seen.add(t)
                        queue.append(t)
            memo[v] = frozenset(found)
        return memo[v]

    out: dict[str, tuple[str, ...]] = {}
    for b in model.backups_of.get(asset, ()):
        if model.path_up(b, down):
            out[b] = ()
            continue
        info = model.backup[b]
        starts = [b] if b in down else []
        if info.restore_to is not None:
            if info.restore_to in down:
                starts.append(info.restore_to)
        else:
            starts.extend(_unmet(model, asset, down))
        # a backup or target is rarely shared: start from what it needs, which is (a store, a host)
        found = frozenset().union(*(frozenset((v,)) if v in stop else
                                    frozenset().union(*(reach(t) for t in _unmet(model, v, down)))
                                    for v in starts))
        out[b] = tuple(sorted(found)) if found else tuple(sorted(set(starts)))
    return out


def _holder_rows(model: Model, start: str, down: frozenset[str], stop: set[str]) -> list[tuple[str, str]]:
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


def _blocker_text(blocked: dict[str, tuple[str, ...]], gone: str) -> str:
    """'tape-ehr needs keysrv, veeam-server (destroyed)' for each backup, '; '-joined."""
    parts = []
    for b, bl in blocked.items():
        if not bl:
            continue
        if bl == (b,):
            parts.append(f"{b} is {gone} itself")
        else:
            parts.append(f"{b} needs {', '.join(x for x in bl if x != b)} ({gone})"
                         + (f" and is {gone} itself" if b in bl else ""))
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
        before = set(before)
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


# -- targeted re-analysis ------------------------------------------------------------------------------


def _relevant(model: Model, problem: Problem, limit: int | None = None) -> set[str] | None:
    """Every component that can change the problem's verdicts: closures, failure sets, credentials, spared stores.

    None as soon as there are more than ``limit`` of them.
    """
    keep: set[str] = set()
    for a in problem.assets:
        keep |= model.closure(a)
        if limit is not None and len(keep) > limit:
            return None
    for failed in _failures(model, problem):
        keep |= failed
    for s in problem.strikes:
        keep.update(c for c in s if c in model.kind)
    if problem.mode == "credential_compromise":
        keep.update(c for c in model.ids if model.kind[c] in CREDENTIAL_KINDS)
    # a store is spared by any immutable or offline backup on it: keep those backups (and what they protect)
    stores = {c for c in keep if model.kind[c] == "backup_store"}
    for b, info in model.backup.items():
        if (info.immutable or info.offline) and stores.intersection(model.dependencies_of(b)):
            keep.add(b)
            keep.add(info.protects)
    for b, info in model.backup.items():
        if b in keep and info.protects in keep and info.restore_to is not None:
            keep.add(info.restore_to)
    return None if limit is not None and len(keep) > limit else keep


def _restrict(inventory, keep: set[str]):
    """The inventory cut down to ``keep``: their rows, rows between them, their backups; no history."""
    comps = inventory.components
    deps = inventory.dependencies
    bk = inventory.backups
    return dataclasses.replace(
        inventory,
        components=comps.loc[comps["id"].isin(keep)].reset_index(drop=True),
        dependencies=deps.loc[deps["component"].isin(keep) & deps["depends_on"].isin(keep)].reset_index(drop=True),
        backups=bk.loc[bk["id"].isin(keep) & bk["protects"].isin(keep)].reset_index(drop=True),
        backup_runs=inventory.backup_runs.iloc[0:0],
        restore_tests=inventory.restore_tests.iloc[0:0],
    )


# -- candidate changes ---------------------------------------------------------------------------------


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
                out.append((s, failed, model.recover(failed), attack))
    return out


def _candidates(model: Model, problem: Problem, asset: str, strike_runs: list[tuple] | None = None) -> list[tuple]:
    """Change sets (tuples of whatif changes) that could bring ``asset`` back, smallest and surest first."""
    from . import whatif

    strike_runs = _strike_runs(model, problem) if strike_runs is None else strike_runs
    runs = [(failed, rec.final_down) for _, failed, rec, _ in strike_runs if asset in rec.unrecoverable]
    if not runs:
        return []
    all_down = frozenset().union(*(d for _, d in runs))
    stop_all = set().union(*(f for f, _ in runs)) if problem.kind != "domain" else {s[0] for s in problem.strikes}
    targets = sorted({i.restore_to for i in model.backup.values()
                      if i.restore_to is not None and i.restore_to not in model.backup
                      and i.restore_to not in all_down and i.restore_to != asset})
    stores = sorted(c for c in model.ids if model.kind[c] == "backup_store" and c not in all_down)
    out: list[tuple] = []

    def add(*changes) -> None:
        if changes and changes not in out:
            out.append(changes)

    protected = any(model.backup[b].immutable or model.backup[b].offline for b in model.backups_of[asset])
    if problem.mode == "credential_compromise":
        _attack_candidates(model, strike_runs, asset, add)
    for b in model.backups_of[asset]:
        info = model.backup[b]
        for failed, down in runs:
            stop = stop_all if problem.kind == "domain" else set(failed)
            target_down = (info.restore_to in down) if info.restore_to is not None else bool(_unmet(model, asset, down))
            if target_down:
                for t in targets[:_SPARE_TARGETS]:
                    if t != info.restore_to:
                        add(whatif.Repoint(b, info.restore_to, t))
                if not targets:
                    add(whatif.Repoint(b, info.restore_to, f"{_slug(asset)}-recovery-target", new_kind="other"))
            if b in down:
                if b in stop and problem.mode == "credential_compromise" and not (info.immutable or info.offline):
                    add(whatif.SetProtection(b, immutable=True))
                for holder, z in _holder_rows(model, b, down, stop):
                    kind = model.kind[z]
                    if kind == "backup_store":
                        spare = [s for s in stores if s != z]
                        add(whatif.Repoint(holder, z, spare[0]) if spare else
                            whatif.Repoint(holder, z, f"{_slug(holder)}-own-store", new_kind="backup_store"))
                    elif kind in _SEPARABLE or problem.kind == "domain":
                        add(whatif.Repoint(holder, z, f"{_slug(holder)}-own-{kind.replace('_', '-')}", new_kind=kind))
    if not protected:
        add(whatif.AddOfflineCopy(asset, restore_to=targets[0] if targets else None))
    return out


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
        for bl in blockers_of(model, asset, rec.final_down, attack.destroyed).values():
            for z in bl:
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
    for ch in changes:
        if isinstance(ch, whatif.Repoint) and ch.component in model.backup and ch.old == model.backup[ch.component].restore_to:
            where = f"{ch.new} (a new target outside the failure)" if ch.new_kind else ch.new
            t = f"restore {ch.component} to {where} instead of " + ("in place" if ch.old is None else ch.old)
        elif isinstance(ch, whatif.Repoint) and ch.new_kind == "credentials" and ch.new.endswith("-own-credentials") \
                and model.kind.get(ch.old) in CREDENTIAL_KINDS:
            taken.setdefault(ch.component, []).append(ch.old)
            continue
        elif isinstance(ch, whatif.Repoint) and ch.new_kind is not None:
            word = _KIND_WORDS.get(ch.new_kind, ch.new_kind.replace("_", " "))
            t = f"give {ch.component} its own {word} ({ch.new}) instead of {ch.old}"
        elif isinstance(ch, whatif.Repoint):
            t = f"move {ch.component} from {ch.old} to {ch.new}"
        else:
            t = ch.describe()
        if t not in texts:
            texts.append(t)
    for z, creds in taken.items():
        texts.append(f"take {z} out of the domain of {', '.join(creds)} (its own credentials, {z}-own-credentials)")
    return "; ".join(texts)


def find_fix(model: Model, problem: Problem, budget: int = FIX_BUDGET,
             work: list[int] | None = None) -> tuple[Fix, tuple]:
    """The smallest change set found that resolves ``problem``, verified by re-analysis: (fix, changes).

    Tries, within ``budget`` re-analyses: each single candidate against the
    whole problem; per asset the single or pair that brings it back, all of
    them together; and the composite recovery site for every asset.
    Unverified when none does; ``effect`` then says what was tried.
    ``work`` (a one-item list) is the component re-analyses left for the
    whole assessment; each re-analysis spends the size of its inventory.
    """
    from . import whatif

    if work is not None and work[0] <= 0:
        return Fix(_fallback(problem), False,
                   f"not searched: the assessment's search budget of {FIX_WORK_BUDGET:,} component re-analyses "
                   "went to more severe findings first"), ()
    inv = model.inventory
    too_big = Fix(_fallback(problem), False,
                  f"not searched: re-analysing it involves more than {FIX_WORK_PER_FINDING:,} components, "
                  "above one finding's share of the assessment's search budget"), ()
    keep = _relevant(model, problem, FIX_WORK_PER_FINDING)
    if keep is None:
        return too_big
    sub = _restrict(inv, keep)
    base = model_mod.build(sub)
    if work is not None:
        work[0] -= len(base.ids)
    if resolved(base, problem) or not all(a in base.kind for a in problem.assets):
        if len(model.ids) > FIX_WORK_PER_FINDING:
            return too_big
        sub = inv  # the cut-down view disagrees with the whole: re-analyse the whole inventory
        base = model
    before = frozenset(base.ids)
    size = len(base.ids)
    budget = min(budget, max(2, FIX_WORK_PER_FINDING // max(1, size)))
    tried: list[str] = []
    spent = 0

    def works(changes: tuple, prob: Problem, reserve: int = 1) -> bool | None:
        """Re-analyse with ``changes``; None once the budget (less ``reserve`` kept for the composite) is spent."""
        nonlocal spent
        if spent >= budget - reserve or (work is not None and work[0] <= 0):
            return None
        spent += 1
        if work is not None:
            work[0] -= size
        try:
            changed = whatif.apply(sub, list(changes))
        except whatif.WhatIfError:
            return False
        text = _describe(base, changes)
        if text not in tried:
            tried.append(text)
        return resolved(model_mod.build(changed), prob, before)

    strike_runs = _strike_runs(base, problem)
    # for several assets only a change proposed for every one of them can resolve it alone; beyond
    # _PER_ASSET_LIMIT assets the shared changes are looked for among the first few assets' candidates
    few = problem.assets if len(problem.assets) <= _PER_ASSET_LIMIT else problem.assets[:3]
    per_asset = {a: _candidates(base, problem, a, strike_runs) for a in few}
    shared = set.intersection(*(set(per_asset[a]) for a in few)) if few else set()
    singles = [c for c in per_asset[few[0]] if c in shared] if few else []
    answer: tuple | None = None
    for c in singles:
        ok = works(c, problem)
        if ok is None:
            break
        if ok:
            answer = c
            break
    if answer is None and len(problem.assets) <= _PER_ASSET_LIMIT:
        answer = _per_asset_search(problem, per_asset, works)
    if answer is None:
        site = whatif.AddRecoverySite(problem.assets, name=f"recovery-site-{_slug(problem.assets[0])}")
        if works((site,), problem, reserve=0):
            answer = (site,)
    if answer is not None:
        change = _describe(base, answer)
        return Fix(change, True, _effect(problem)), answer
    shown = "; ".join(tried[:6]) + (f" and {len(tried) - 6} more" if len(tried) > 6 else "")
    if not spent and work is not None and work[0] <= 0:
        effect = (f"not searched: the assessment's search budget of {FIX_WORK_BUDGET:,} component re-analyses "
                  "went to more severe findings first")
    else:
        effect = (f"no change set found within the search budget of {budget} re-analyses: "
                  f"{spent} tried ({shown or 'no candidate applied'}), none left "
                  f"{_names(problem.assets)} recoverable")
    return Fix(_fallback(problem), False, effect), ()


def _per_asset_search(problem: Problem, per_asset: dict[str, list[tuple]], works) -> tuple | None:
    """Asset by asset, the first single or pair of its candidates that brings it back; all of them together.

    None when some asset has none within the budget or the union does not
    resolve the whole problem.
    """
    chosen: list = []
    for a in problem.assets:
        one = dataclasses.replace(problem, assets=(a,))
        if chosen and works(tuple(chosen), one):
            continue  # what was chosen for the others brings this one back too
        cands = per_asset[a]
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
    return combined if len(problem.assets) == 1 or works(combined, problem) else None


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
    return f"re-analysed on a copy of the inventory: {assets} recoverable after {what}"


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
        rto = model.inventory.components.set_index("id").at[a, "rto_hours"]
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
                   f"not searched: the assessment's search budget of {FIX_WORK_BUDGET:,} component re-analyses "
                   "went to more severe findings first"), ()
    lo, hi = -1, len(CAPACITY_FACTORS) - 1  # bisect for the smallest factor that clears it (misses shrink as it grows)

    def clears(i: int) -> bool:
        if work is not None:
            work[0] -= len(model.ids)
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
        changed = model_mod.build(whatif.apply(model.inventory, list(changes)))
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
        edits, _ = whatif.compile_changes(model.inventory, list(changes))
    except whatif.WhatIfError as err:
        return dataclasses.replace(fix, verified=False, effect=f"{fix.effect}; but it does not apply to the whole "
                                   f"inventory: {err}")
    return dataclasses.replace(fix, changes=tuple(edits), steps=tuple(changes), reuses=reused_by(model, edits),
                               production=touches_production(model, edits))


def attach_fixes(model: Model, findings: Iterable[Finding], budget: int = FIX_BUDGET) -> list[Finding]:
    """The findings with a verified (or plainly unverified) fix on every critical or high coupling, capacity and
    silent-failure finding (``silentfix``).

    The recommendation becomes the fix in words; an unverified fix keeps
    the finding's own recommendation and says what was tried.
    """
    findings = list(findings)
    out: dict[int, Finding] = {}
    cache: dict[Problem, tuple[Fix, tuple]] = {}
    work = [FIX_WORK_BUDGET]
    silent_memo: dict = {}  # the silent re-scorings share the job-history summaries

    def rank(i: int) -> tuple:
        f = findings[i]
        tier = _best_tier(model, [a for a in f.assets if a in model.kind])
        return (severity_rank(f.severity), 99 if tier is None else tier, -len(f.assets), f.id)

    for i in sorted(range(len(findings)), key=rank):
        f = findings[i]
        if f.fix is not None or f.severity not in FIX_SEVERITIES:
            out[i] = f
            continue
        if f.category == "capacity" and f.id.split(":")[1] in ("rto-miss", "routine-rto-miss"):
            fix, changes = capacity_fix(model, f, work)
            fix = written_down(model, fix, changes)
            rec = _sentence(fix.change) + " " + _sentence(fix.effect) if fix.verified else f.recommendation
            out[i] = dataclasses.replace(f, fix=fix, recommendation=rec)
            continue
        if f.category == "silent_failure":  # fixed by evidence and settings, verified by scoring again
            from .silentfix import silent_fix

            out[i] = dataclasses.replace(f, fix=silent_fix(model, f, findings, silent_memo, work))
            continue
        problem = problem_of(model, f)
        if problem is None:
            out[i] = f
            continue
        if problem not in cache:
            cache[problem] = find_fix(model, problem, budget, work)
        fix, changes = cache[problem]
        fix = written_down(model, fix, changes)
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


def _domain_finding(model: Model, d: Domain, recoveries: dict) -> Finding:
    stop = set(d.members)
    down = recoveries[d.root].final_down
    memo: dict = {}
    blocked = {a: blockers_of(model, a, down, stop, memo) for a in d.assets}
    blockers = sorted({x for per in blocked.values() for bl in per.values() for x in bl})
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
        if blockers:
            title += f": recovery needs {_names(blockers, 3)}"
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
    attacks: dict[str, coupling.Compromise] = {}  # each holder's attack and recovery, once for every group
    recs: dict = {}
    destroyed: dict[str, frozenset[str]] = {}
    for holders, lost in sorted(groups.items()):
        for k in holders:
            if k not in attacks:
                attacks[k] = coupling.credential_compromise(model, k)
                destroyed[k] = attacks[k].destroyed
                recs[k] = model.recover(destroyed[k])
        stop: set[str] = set()
        per_asset = {}
        memos: dict[str, dict] = {}
        # each asset is explained by the widest attack that defeats it (the most it destroys, then id)
        worst = {a: min((k for k in holders if a in recs[k].unrecoverable), key=lambda k: (-len(destroyed[k]), k))
                 for a in lost}
        for a in lost:
            k = worst[a]
            per_asset[a] = blockers_of(model, a, recs[k].final_down, destroyed[k], memos.setdefault(k, {}))
            stop |= destroyed[k]
        blockers = sorted({x for per in per_asset.values() for bl in per.values() for x in bl})
        # a copy survives when neither it nor a store it is kept on is destroyed (its restore may still be blocked)
        survivors = {a: [b for b in model.backups_of[a] if b not in destroyed[worst[a]] and not any(
            model.kind[t] == "backup_store" and t in destroyed[worst[a]] for t in model.dependencies_of(b))]
            for a in lost}
        surviving = sorted({b for bs in survivors.values() for b in bs})
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
        lines = [f"holding {k} destroys {_names(sorted(destroyed[k]), 8)}" for k in holders[:4]]
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
        blockers = sorted({x for bl in blocked.values() for x in bl})
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


def _scenario_findings(model: Model, covered: set[tuple[tuple[str, ...], tuple[str, ...]]]) -> list[Finding]:
    """Declared scenarios that leave assets unrecoverable, unless a domain or threat finding already says so."""
    out = []
    seen = set()
    for s in model.inventory.meta.scenarios:
        failed = coupling.scenario_failures(model, s.fail, s.mode)
        if not failed:
            continue
        rec = model.recover(failed)
        lost = rec.unrecoverable
        if not lost or (tuple(sorted(s.fail)), lost) in covered:
            continue
        slug = _slug(s.name)
        if slug in seen:
            continue
        seen.add(slug)
        blocked = {a: blockers_of(model, a, rec.final_down, failed) for a in lost}
        blockers = sorted({x for per in blocked.values() for bl in per.values() for x in bl})
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


def coupling_findings(model: Model, assets: dict, unrecoverable_by: dict[str, tuple[str, ...]]) -> list[Finding]:
    """The consolidated coupling findings: one per failure domain, per stolen credential set,
    per corrupted asset and per declared scenario not already covered; each with its blockers."""
    domains = failure_domains(model, unrecoverable_by)
    recoveries = {d.root: model.recover((d.root,)) for d in domains}
    out = [_domain_finding(model, d, recoveries) for d in domains]
    cred = _credential_findings(model, assets)
    out += cred
    out += _corruption_findings(model, assets)
    covered = {((x,), d.assets) for d in domains for x in d.members}
    for f in cred:
        covered |= {((k,), f.assets) for k in f.components}
    out += _scenario_findings(model, covered)
    return out


def findings_of(model: Model, result: coupling.CouplingResult) -> list[Finding]:
    """Every coupling finding of an analysed estate: the consolidated ones of this layer (failure domains,
    stolen credentials, corruption, declared scenarios), then the verdicts' own (cycles, RTO inversions)."""
    return coupling_findings(model, result.assets, result.unrecoverable_by) + list(result.findings)
