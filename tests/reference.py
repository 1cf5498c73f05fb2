"""A slow, obviously-right oracle of the failure semantics, read straight from the inventory tables.

Nothing here shares code with ``hiddenspof.model`` or ``hiddenspof.coupling``:
down sets are Kleene iterations over *every* component until nothing changes,
restore rounds re-evaluate everything each round, and every per-asset answer
is one full fixpoint per candidate failure over the whole graph.
"""

from __future__ import annotations

import itertools
import math

__all__ = ["Reference"]


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or str(v) in ("<NA>", "nan", "")


class Reference:
    """The semantics of ``contracts/inventory-format.md``, written as directly as possible."""

    def __init__(self, inv) -> None:
        self.ids = sorted(str(i) for i in inv.components["id"])
        self.kind = {str(i): str(k) for i, k in zip(inv.components["id"], inv.components["kind"])}
        self.rows = []  # (component, target, group or None, needs)
        for r in inv.dependencies.itertuples(index=False):
            if str(r.kind).strip().lower() == "admin":
                continue  # "an admin row is not a requirement"
            group = None if _missing(r.group) else str(r.group)
            needs = 1 if _missing(r.needs) else int(r.needs)
            self.rows.append((str(r.component), str(r.depends_on), group, needs))
        self.backups = {}  # id -> (asset, restore_to or None, method, immutable, offline)
        for r in inv.backups.itertuples(index=False):
            self.backups[str(r.id)] = (
                str(r.protects),
                None if _missing(r.restore_to) else str(r.restore_to),
                None if _missing(r.method) else str(r.method),
                bool(r.immutable),
                bool(r.offline),
            )
        self.assets = sorted({a for a, *_ in self.backups.values()})
        self.prob = {}
        defaults = __import__("hiddenspof.model", fromlist=["x"]).DEFAULT_PROBABILITY
        for i, k, p in zip(inv.components["id"], inv.components["kind"], inv.components["failure_probability"]):
            self.prob[str(i)] = defaults.get(str(k), 0.02) if _missing(p) else float(p)

    # requirements of c given the up set, with c's rows possibly replaced
    def met(self, c: str, up: set[str]) -> bool:
        groups: dict[str, list] = {}
        for comp, t, g, n in self.rows:
            if comp != c:
                continue
            if g is None:
                if t not in up:
                    return False
            else:
                groups.setdefault(g, [n, 0])
                groups[g][0] = n
                groups[g][1] += t in up
        return all(cnt >= n for n, cnt in groups.values())

    def down(self, forced: set[str], moved: dict[str, str | None] | None = None) -> set[str]:
        """Least fixpoint by Kleene iteration from ``forced`` over every component."""
        moved = moved or {}
        d = set(forced)
        while True:
            up = set(self.ids) - d
            new = set(forced)
            for c in self.ids:
                if c in moved and moved[c] is not None:
                    ok = moved[c] in up
                else:
                    ok = self.met(c, up)
                if not ok:
                    new.add(c)
            if new == d:
                return d
            d = new

    def recover(self, failed) -> set[str]:
        """Final down set after restores."""
        forced = set(failed)
        moved: dict[str, str | None] = {}
        while True:
            d = self.down(forced, moved)
            up = set(self.ids) - d
            restored = False
            for b, (a, t, *_rest) in sorted(self.backups.items()):
                if a in d and b in up and (t in up if t is not None else self.met(a, up)):
                    if a not in moved:
                        moved[a] = t
                        forced.discard(a)
                        restored = True
            if not restored:
                return d

    def unrecoverable(self, failed) -> list[str]:
        d = self.recover(failed)
        return [a for a in self.assets if a in d]

    def common_cause(self) -> dict[str, list[str]]:
        out = {a: [] for a in self.assets}
        for x in self.ids:
            for a in self.unrecoverable({x}):
                out[a].append(x)
        return out

    def cut_pairs(self) -> dict[str, set[tuple[str, str]]]:
        cc = self.common_cause()
        out = {a: set() for a in self.assets}
        for x, y in itertools.combinations(self.ids, 2):
            for a in self.unrecoverable({x, y}):
                if x not in cc[a] and y not in cc[a]:
                    out[a].add((x, y))
        return out

    def survivability(self) -> dict[str, float | None]:
        """Exact by enumerating every failure set of every component (small inventories only)."""
        p_down = {a: 0.0 for a in self.assets}
        p_lost = {a: 0.0 for a in self.assets}
        for bits in itertools.product((False, True), repeat=len(self.ids)):
            failed = {c for c, b in zip(self.ids, bits) if b}
            w = 1.0
            for c, b in zip(self.ids, bits):
                w *= self.prob[c] if b else 1 - self.prob[c]
            if w == 0:
                continue
            d0 = self.down(failed)
            d = self.recover(failed)
            for a in self.assets:
                if a in d0:
                    p_down[a] += w
                    if a in d:
                        p_lost[a] += w
        return {a: (None if p_down[a] == 0 else 1 - p_lost[a] / p_down[a]) for a in self.assets}
