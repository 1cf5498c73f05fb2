"""The boolean-matrix closure simulator, kept as the slow reference of the bit-packed one in ``hiddenspof.coupling``.

This is the simulator ``coupling`` used before its failure sets were packed
64 to a machine word: rows are components, columns failure sets, one byte
per (component, failure set). It reads the same model and the same
evaluation levels (``coupling._levels``), so the two must agree bit for bit
on every down set before restores and on every watched column after them;
``tests/test_coupling_bits.py`` checks that on random estates.
"""

from __future__ import annotations

import numpy as np
from hiddenspof.coupling import _levels
from hiddenspof.model import Model

__all__ = ["BoolClosureSimulator", "levels_reference"]


def levels_reference(model: Model) -> tuple[dict[str, int], frozenset[str]]:
    """``coupling._levels`` as it was made with networkx (condensation, then a topological sort): the oracle
    of the Tarjan pass that replaced it."""
    import networkx as nx

    h = nx.DiGraph()
    h.add_nodes_from(model.ids)
    for c in model.ids:
        h.add_edges_from((c, t) for t in model.dependencies_of(c))
    for a, bs in model.backups_of.items():
        h.add_edges_from((a, model.backup[b].restore_to) for b in bs if model.backup[b].restore_to is not None)
    cond = nx.condensation(h)
    part_level: dict[int, int] = {}
    for p in reversed(list(nx.topological_sort(cond))):
        part_level[p] = 1 + max((part_level[q] for q in cond.successors(p)), default=-1)
    level = {c: part_level[p] for c, p in cond.graph["mapping"].items()}
    cyclic = frozenset(c for p in cond.nodes for c in cond.nodes[p]["members"] if len(cond.nodes[p]["members"]) > 1)
    return level, cyclic


class BoolMetPlan:
    """Whether the own dependency rows of a list of columns are met, for every failure set at once.

    Works on matrices of components x failure sets with two extra rows at
    the end: ``n`` always up and ``n + 1`` always down. Each component's
    ungrouped targets are padded to a rectangle with the always-up row and
    reduced with one ``all``; group members are padded with the always-down
    row and counted with one ``sum`` (or ``any`` when every group needs one);
    a handful of numpy calls whatever the number of components.
    """

    def __init__(self, cols: list[int], ung: list[list[int]], groups: list[list[tuple[int, list[int]]]], n: int) -> None:
        self.k = len(cols)
        def rect(lists: list[list[int]], pad: int) -> np.ndarray:
            width = max((len(x) for x in lists), default=0)
            return np.array([x + [pad] * (width - len(x)) for x in lists], dtype=np.intp).reshape(len(lists), width)

        with_ung = [p for p, c in enumerate(cols) if ung[c]]
        self.u_all = len(with_ung) == self.k
        self.u_pos = np.array(with_ung, dtype=np.intp)
        self.u_idx = rect([ung[cols[p]] for p in with_ung], n)
        with_groups = [p for p, c in enumerate(cols) if groups[c]]
        self.g_pos = np.array(with_groups, dtype=np.intp)
        members, needs, per_comp = [], [], []
        for p in with_groups:
            mine = []
            for nd, mem in groups[cols[p]]:
                mine.append(len(needs))
                members.append(mem)
                needs.append(nd)
            per_comp.append(mine)
        self.g_idx = rect(members, n + 1)
        self.g_needs = np.array(needs, dtype=np.int64)[:, None]
        self.g_any = all(nd == 1 for nd in needs)
        self.g_single = all(len(m) == 1 for m in per_comp)
        self.g_comp = rect(per_comp, len(needs))  # padded with a group that is always met

    def met(self, up: np.ndarray) -> np.ndarray:
        """len(cols) x failure sets: whether each column's own rows are met when ``up`` are up."""
        if self.u_all:
            met = up[self.u_idx].all(axis=1)
        else:
            met = np.ones((self.k, up.shape[1]), dtype=bool)
            if len(self.u_pos):
                met[self.u_pos] = up[self.u_idx].all(axis=1)
        if len(self.g_pos):
            if self.g_any:
                ok = up[self.g_idx].any(axis=1)
            else:
                ok = up[self.g_idx].sum(axis=1, dtype=np.int32) >= self.g_needs
            if self.g_single:
                met[self.g_pos] &= ok
            else:
                ok = np.concatenate([ok, np.ones((1, up.shape[1]), dtype=bool)])
                met[self.g_pos] &= ok[self.g_comp].all(axis=1)
        return met


class BoolClosureSimulator:
    """Many failure sets of one closure at once: the model's semantics on boolean matrices.

    Rows are failure sets, columns the closure's components (sorted). The
    closure is self-contained (nothing in it depends on or restores through
    anything outside), so its columns evolve as they would in the whole
    estate. Down sets are the least fixpoint, computed level by level in
    dependency order (what is needed first; ``_levels``), all the components
    of a level at once; a level holding a cycle (including one that a
    restore target could close) is iterated from the forced failures
    upwards until nothing changes, so a cycle nothing forces down stays up
    (iterating from below reaches the least fixpoint whatever the order of
    evaluation inside the level). Restores happen in simultaneous rounds
    exactly as ``Model.recover`` makes them, every asset of a round at once.
    """

    def __init__(self, model: Model, nodes: list[str], blocks: list[list[str]] | None = None) -> None:
        """Simulate ``nodes`` (a sorted closure); or, with ``blocks``, several closures side by side.

        Blocks are disjoint copies (a component in two closures gets a column in
        each), so each block evolves exactly as its closure would alone, and one
        failure set of the simulator carries one failure set of every block:
        block ``i`` starts at column ``offsets[i]`` (``nodes`` is then ignored).
        """
        blocks = [nodes] if blocks is None else blocks
        self.offsets: list[int] = []
        nodes, ung, groups = [], [], []
        # paths of each asset column in choice order: (backup column, target column or -2 for in place)
        paths: dict[int, list[tuple[int, int]]] = {}
        requires, model_groups, backups_of, order, backup = (
            model.requires, model.groups, model.backups_of, model._backup_order, model.backup)
        for block in blocks:
            off = len(nodes)
            self.offsets.append(off)
            idx = {c: off + i for i, c in enumerate(block)}
            ung += [[idx[t] for t in requires[c]] for c in block]
            groups += [[(needs, [idx[t] for t in members]) for _, needs, members in model_groups[c]] for c in block]
            for a in block:
                if a in backups_of:
                    paths[idx[a]] = [
                        (idx[b], idx[backup[b].restore_to] if backup[b].restore_to is not None else -2)
                        for b in order[a]
                    ]
            nodes += block
        self.nodes = nodes
        self.n = len(nodes)
        self.ung, self.groups = ung, groups
        self.paths = paths
        level, cyclic = _levels(model)
        by_level: dict[int, list[int]] = {}
        for i, c in enumerate(nodes):
            if ung[i] or groups[i] or any(t >= 0 for _, t in paths.get(i, ())):
                by_level.setdefault(level[c], []).append(i)
            # else: no row and no restore target, so it is down exactly when it failed (already so in ``_down``)
        self.levels = []  # (columns, met plan, iterate?, asset positions, asset columns)
        for lv in sorted(by_level):
            cols = by_level[lv]
            apos = [p for p, c in enumerate(cols) if c in paths]
            self.levels.append(
                (
                    np.array(cols, dtype=np.intp),
                    BoolMetPlan(cols, ung, groups, self.n),
                    any(nodes[c] in cyclic for c in cols),
                    np.array(apos, dtype=np.intp),
                    np.array([cols[p] for p in apos], dtype=np.intp),
                )
            )
        # restore plan: assets, their paths flattened in choice order
        self.p_assets = np.array(sorted(paths), dtype=np.intp)
        pa, pb, pt, rank, starts = [], [], [], [], []
        inplace = sorted(a for a, ps in paths.items() if any(t < 0 for _, t in ps))
        ipos = {a: i for i, a in enumerate(inplace)}
        p_own = []
        for k, a in enumerate(self.p_assets.tolist()):
            starts.append(len(pb))
            for r, (b, t) in enumerate(paths[a]):
                pa.append(k)
                pb.append(b)
                pt.append(t)
                rank.append(r)
                p_own.append(ipos.get(a, 0))
        self.p_pos = np.array(pa, dtype=np.intp)
        self.p_b = np.array(pb, dtype=np.intp)
        self.p_t = np.array(pt, dtype=np.int64)
        self.p_tcol = np.maximum(self.p_t, 0).astype(np.intp)
        self.p_inplace = self.p_t < 0
        self.p_own = np.array(p_own, dtype=np.intp)
        width = max((len(ps) for ps in paths.values()), default=0)
        flat = [list(range(st, st + len(paths[a]))) for st, a in zip(starts, self.p_assets.tolist())]
        # asset x choice rank: index of the path (len(pb) = a path that is never up) and its target
        self.p_rect = np.array([f + [len(pb)] * (width - len(f)) for f in flat], dtype=np.intp).reshape(-1, width)
        self.p_rect_t = np.append(self.p_t, -1)[self.p_rect]
        self.own_plan = BoolMetPlan(inplace, ung, groups, self.n) if inplace else None

    def _down(self, forced: np.ndarray, target: np.ndarray | None) -> np.ndarray:
        """The least fixpoint down sets (components x failure sets); ``target`` as in ``_restore`` (None: no restore).

        ``forced`` has the two extra rows of ``_MetPlan`` (always up, always down).
        """
        rows = np.arange(forced.shape[1])[None, :]
        d = forced.copy()
        up = ~d
        for cols, plan, iterate, apos, acols in self.levels:
            fc = forced[cols]
            mv = None
            if target is not None and len(acols):
                t = target[acols]
                on = t >= 0
                if on.any():
                    mv = (on, np.maximum(t, 0))
            while True:
                met = plan.met(up)
                if mv is not None:
                    met[apos] = np.where(mv[0], up[mv[1], rows], met[apos])
                col = fc | ~met
                if not iterate:
                    d[cols] = col
                    up[cols] = ~col
                    break
                if np.array_equal(col, d[cols]):
                    break
                d[cols] = col
                up[cols] = ~col
        return d

    def run(self, failed: np.ndarray, only_down: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(down before restores, down after every restore) for each row of ``failed``.

        With ``only_down`` = a column, only that column of the second matrix
        is computed to the end: restores are only simulated for the rows
        where the column is down before restores, and a row is no longer
        followed once the column is up (the down set only shrinks from round
        to round, so it stays up); the other columns of such rows are left
        as they were at that point. Inside, matrices are components x failure
        sets, so that every numpy call works on contiguous rows.
        """
        n = self.n
        f = np.zeros((n + 2, failed.shape[0]), dtype=bool)
        f[:n] = failed.T
        f[n + 1] = True  # the always-down row
        d0 = self._down(f, None)
        if only_down is None:
            return d0[:n].T, self._restore(f, d0)[:n].T
        rows = d0[only_down]
        final = d0.copy()
        if rows.any():
            final[:, rows] = self._restore(f[:, rows], d0[:, rows], watch=only_down)
        return d0[:n].T, final[:n].T

    def run_watched(self, failed: np.ndarray, watch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``run(only_down=...)`` for several watched columns at once (one per block, say).

        ``failed`` is already components x failure sets with the two extra rows
        of ``_MetPlan``. Returns (down before restores, down after every
        restore), both watched columns x failure sets. Restores are simulated
        for the failure sets where some watched column is down, until none is
        or nothing more is restored; a watched column that is up is final
        (the down set only shrinks), one that is down is followed to the end.
        """
        d0 = self._down(failed, None)
        rows = d0[watch].any(axis=0)
        final = d0[watch]
        if rows.any():
            final[:, rows] = self._restore(failed[:, rows], d0[:, rows], watch=watch)[watch]
        return d0[watch], final

    def _restore(self, failed: np.ndarray, d: np.ndarray, watch: int | np.ndarray | None = None) -> np.ndarray:
        """The restore rounds from down sets ``d`` of failure sets ``failed`` (as in ``_down``); the final down sets.

        A failure set where a round restores nothing is final and is no
        longer followed; with ``watch`` (a column), neither is one where that
        column is up (see ``run``).
        """
        if not len(self.p_assets):
            return d
        out = d.copy()
        live = np.arange(d.shape[1])
        forced = failed.copy()
        # -1 not restored, -2 restored in place, >= 0 restored onto that column
        target = np.full(failed.shape, -1, dtype=np.int64)
        pa = self.p_assets
        pick = np.arange(len(pa))[:, None]
        while True:
            cand = d[pa] & (target[pa] == -1)
            if not cand.any():
                break
            up = ~d
            ok = up[self.p_b] & up[self.p_tcol]
            if self.own_plan is not None:
                own = self.own_plan.met(up)[self.p_own]
                ok = np.where(self.p_inplace[:, None], up[self.p_b] & own, ok)
            ok &= cand[self.p_pos]
            if not ok.any():
                break
            ok = np.concatenate([ok, np.zeros((1, ok.shape[1]), dtype=bool)])[self.p_rect]
            done = ok.any(axis=1)
            chosen = self.p_rect_t[pick, ok.argmax(axis=1)]  # the first path up, in choice order
            target[pa] = np.where(done, chosen, target[pa])
            forced[pa] &= ~done
            keep = done.any(axis=0)  # a failure set where nothing was restored is final
            if not keep.all():
                out[:, live[~keep]] = d[:, ~keep]
                live, forced, target = live[keep], forced[:, keep], target[:, keep]
            d = self._down(forced, target)
            if watch is not None:
                keep = d[watch] if np.ndim(watch) == 0 else d[watch].any(axis=0)
                if not keep.all():
                    out[:, live[~keep]] = d[:, ~keep]
                    live, forced, target, d = live[keep], forced[:, keep], target[:, keep], d[:, keep]
            if not len(live):
                return out
        out[:, live] = d
        return out
