"""A second, independent reading of the failure contract, written from the contract text alone.

Deliberately naive (whole-graph fixpoints, no shared code with
``hiddenspof.model`` or ``tests/reference.py``) so that a misreading shared by
the library and its first oracle still shows up as a disagreement.
"""

from __future__ import annotations

from collections import defaultdict

ESCALATE = {"credentials", "identity", "account"}
DESTROYABLE = {"service", "datastore", "backup", "backup_store", "recovery_tool", "kms"}
STRUCK = {
    "site_loss": ("site",), "region_loss": ("region",), "provider_loss": ("provider",),
    "account_loss": ("account",), "identity_outage": ("identity", "credentials"),
    "control_plane_outage": ("control_plane",),
    "credential_compromise": ("credentials", "identity", "account"),
}


class Contract:
    """Down-propagation, restore rounds and threat strikes exactly as the contract words them."""

    def __init__(self, inv):
        self.comps = list(inv.components["id"])
        self.kind = dict(zip(inv.components["id"], inv.components["kind"]))
        self.rows = defaultdict(list)  # requirements: rows that are not of kind admin
        self.reach = defaultdict(set)  # every row, admin or not: what c has a row on
        for c, d, k, g, n in zip(inv.dependencies["component"], inv.dependencies["depends_on"],
                                 inv.dependencies["kind"], inv.dependencies["group"], inv.dependencies["needs"]):
            self.reach[c].add(d)
            if str(k).strip().lower() != "admin":
                self.rows[c].append((d, g, None if g is None else int(n)))
        self.backups = defaultdict(list)
        self.method, safe = {}, set()
        for b, a, t, m, im, off in zip(inv.backups["id"], inv.backups["protects"], inv.backups["restore_to"],
                                       inv.backups["method"], inv.backups["immutable"], inv.backups["offline"]):
            self.backups[a].append((b, t))
            self.method[b] = m
            if im or off:
                safe.add(b)
        self.safe = safe | {d for b in safe for d, _, _ in self.rows[b] if self.kind.get(d) == "backup_store"}

    def met(self, c, down, moved):
        """Requirements of c met by the components outside ``down`` (a moved asset needs only its target)."""
        if c in moved:
            return moved[c] not in down
        groups, needs = defaultdict(list), {}
        for d, g, n in self.rows[c]:
            if g is None and d in down:
                return False
            if g is not None:
                groups[g].append(d)
                needs[g] = n
        return all(sum(d not in down for d in ms) >= needs[g] for g, ms in groups.items())

    def down(self, failed, moved):
        """The smallest set holding ``failed`` and everything whose requirements it breaks."""
        down, changed = set(failed), True
        while changed:
            changed = False
            for c in self.comps:
                if c not in down and not self.met(c, down, moved):
                    down.add(c)
                    changed = True
        return down

    def after_restores(self, failed):
        """The down set once no further restore is possible."""
        failed, moved, restored = set(failed), {}, set()
        while True:
            down = self.down(failed, moved)
            now = {}
            for a, paths in self.backups.items():
                if a not in down or a in restored:
                    continue
                for b, t in paths:
                    if b not in down and ((t is not None and t not in down) or (t is None and self.met(a, down, moved))):
                        now[a] = t
                        break
            if not now:
                return down
            for a, t in now.items():
                restored.add(a)
                failed.discard(a)
                if t is not None:
                    moved[a] = t

    def common_cause(self, asset):
        """Every component whose failure alone leaves ``asset`` down after all restores."""
        return sorted(x for x in self.comps if asset in self.after_restores({x}))

    def threat(self, asset, mode):
        """The contract's verdict of one threat mode for one asset."""
        if mode == "logical_corruption":
            failed = {asset} | {b for b, _ in self.backups[asset] if self.method[b] == "replica"}
            return "unrecoverable" if asset in self.after_restores(failed) else "recoverable"
        strikes = sorted(c for c in self.comps if self.kind[c] in STRUCK[mode])
        if not strikes:
            return "not_applicable"
        for k in strikes:
            if mode == "credential_compromise":
                failed = self.compromise(k)[1]
            else:
                failed = {k}
            if asset in self.after_restores(failed):
                return "unrecoverable"
        return "recoverable"

    def compromise(self, k):
        """(held, destroyed) when an attacker starts holding ``k``: escalate and destroy until nothing changes."""
        held, destroyed = {k}, set()
        while True:
            more_held = {c for c in self.comps if self.kind[c] in ESCALATE
                         and any(d in held or d in destroyed for d in self.reach[c])}
            more_destroyed = {c for c in held if self.kind[c] == "identity"} | {
                c for c in self.comps if self.kind[c] in DESTROYABLE and c not in self.safe
                and any(d in held for d in self.reach[c])}
            if more_held <= held and more_destroyed <= destroyed:
                return held, destroyed
            held |= more_held
            destroyed |= more_destroyed

    # -- blockers, as docs/advice.md words them ---------------------------------------------------------------

    def kept_in(self, store):
        """What a store is kept in: its rows (not admin), transitively through hosts and storage, and the places."""
        through = {"service", "datastore", "backup_store", "other"}
        places = {"site", "region", "provider", "account"}
        seen, todo = set(), [store]
        while todo:
            v = todo.pop()
            for d, _, _ in self.rows[v]:
                if d not in seen and (self.kind[d] in through or self.kind[d] in places):
                    seen.add(d)
                    if self.kind[d] in through:
                        todo.append(d)
        return seen

    def down_rows(self, c, down):
        """The down components among c's rows that leave its requirements unmet (plain rows; members of short groups)."""
        out, groups, needs = set(), defaultdict(list), {}
        for d, g, n in self.rows[c]:
            if g is None:
                if d in down:
                    out.add(d)
            else:
                groups[g].append(d)
                needs[g] = n
        for g, ms in groups.items():
            if sum(d not in down for d in ms) < needs[g]:
                out |= {d for d in ms if d in down}
        return out

    def blockers(self, asset, failed):
        """A finding's blockers for ``asset`` after ``failed`` (failed or destroyed) fail: for each backup whose copy
        survives (it and its stores not failed; a store not down with what it is kept in), the down components on
        its recovery path (its own rows; its target, or in place the asset's own rows); when no copy survives,
        what the copies were lost with (the backup, or its down stores). Returns (surviving needs, lost with)."""
        down = self.after_restores(failed)
        surviving, lost = set(), set()
        for b, t in self.backups[asset]:
            up = b not in down and ((t is not None and t not in down) or (t is None and self.met(asset, down, {})))
            if up:
                continue
            stores = [d for d, _, _ in self.rows[b] if self.kind[d] == "backup_store"]
            gone = b in failed or any(s in failed or (s in down and (self.kept_in(s) & (set(failed) | down)))
                                      for s in stores)
            if not gone:
                surviving |= self.down_rows(b, down)
                if t is not None and t in down:
                    surviving.add(t)
                if t is None:
                    surviving |= self.down_rows(asset, down)
            elif b in failed:
                lost.add(b)
            else:
                lost |= {s for s in stores if s in down} or {b}
        return surviving, lost
