"""Synthetic but realistic estates (CSV-folder inventories) for benchmarks, workshops and tests.

An estate of about ``N`` components is built in three layers:

* **Shared infrastructure**, scaled with ``N``: three providers (``aws``,
  ``azure``, ``onprem``), their regions and sites, accounts (production
  accounts plus one separate backup account per provider), identity (a
  corporate SSO federated from on-premises Active Directory, whose DNS is
  in turn managed through it: the classic identity/DNS cycle), credentials,
  KMS keys, control planes, site networks, interconnects, DNS, monitoring and
  alerting, backup stores (snapshot stores, backup-account vaults,
  object-locked vaults, on-prem appliances, an offsite tape shelf), restore
  tools and teams with ``throughput_mb_s``/``max_parallel_restores``, and DR
  landing zones used as ``restore_to`` targets.
* **Applications**: services and datastores in three layers (a layer-``L``
  app calls services of layer ``L-1`` apps), multi-site service groups,
  quorum clusters (``needs`` 2 of 3) and primary/standby pairs, plus a few
  deliberate cross-app dependency cycles.
* **Protection**: about a quarter of the non-backup components (most logical
  datastores, some services, identity, DNS, a tool catalogue) are protected
  by one to three backups whose coupling varies: ``same_account`` snapshots,
  ``other_account`` copies, ``other_provider`` copies, ``offline`` tape,
  ``immutable`` vaults and ``replica`` standbys; ``restore_to`` is sometimes
  a landing zone. Each backup has a daily (tape: weekly) job history ending
  the day before ``as_of`` with injected anomalies (failure streaks, tiny
  successful runs, size collapses, gaps, duration spikes, no history at all)
  and restore tests (pass/partial/fail, file/full/dr_drill).

Sizes: about 21% of the components are assets and 27% are backups (1.3
backups per asset), so 20,000 components give about 4,200 assets and 5,500
backups; with the default 365 days of history they have about 1.8 million
run rows, and 100,000 components about 9.4 million. The structure is drawn
with ``random.Random(seed)`` and the history with
``numpy.random.default_rng(seed)``; ``as_of`` is fixed
(:data:`AS_OF`), never the clock, so the same arguments write byte-identical
files.
"""

from __future__ import annotations

import datetime as dt
import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from .errors import UsageError
from .inventory import TABLES

__all__ = [
    "AS_OF",
    "COUPLING_STYLES",
    "DEFAULT_HISTORY_DAYS",
    "MIN_COMPONENTS",
    "Estate",
    "generate_estate",
    "write_estate",
    "HEALTH",
    "fleet_healths",
    "write_fleet",
]

AS_OF = dt.date(2026, 9, 30)
"""The fixed assessment date of every synthetic estate (never today's date)."""

DEFAULT_HISTORY_DAYS = 365
"""Days of job history per backup: a year, as the benchmark targets assume."""

MIN_COMPONENTS = 200
"""Smallest estate: the shared infrastructure alone is about 120 components."""

COUPLING_STYLES = ("same_account", "other_account", "other_provider", "offline", "immutable", "replica")
"""How a backup is coupled to what it protects (recorded in the backup's ``notes``)."""

HEALTH = """How the ``health`` knob (0 fragile .. 1 healthy) shapes an estate.

Separation of the estate (certain from health 0.8 up, with probability
``1.25 x health`` below): each cloud's IAM gets cloud-native emergency access
beside the federated corporate SSO and its console opens with any identity
left (so losing on-premises identity no longer takes every cloud control
plane down); each backup account signs in with its own backup identity (a
separate backup admin: a stolen directory login no longer reaches the backup
credentials); the Veeam servers run outside the production domain on the
backup account's service login; the on-premises DR landing zone has its own
cluster manager; tapes restored into that landing zone need no interconnect
to the cloud. Per backup, with probability ``health``: first backups
move from same-account snapshots to other-provider, offline and immutable
copies, and separated copies (other account or provider, offline,
immutable) restore to a DR landing zone rather than in place. Immutability: those copies are object-locked with
probability ``0.7 x health``. Verification: from mostly job status to
restore tests and DR drills. Redundancy: more backups per asset. History:
fewer flaky jobs and stale restore tests. ``health=None`` is none of this.
"""

# Contract column order, from the loader's own table definitions.
_COLUMNS = {table: [c.name for c in columns] for table, columns in TABLES.items()}

_REGIONS = {
    "aws": ["eu-west-1", "eu-central-1", "us-east-1", "us-west-2"],
    "azure": ["westeurope", "northeurope", "eastus", "westus2"],
    "onprem": ["emea"],
}
_WORDS = ("orders", "billing", "catalog", "payments", "search", "ledger", "crm", "inventory",
          "shipping", "pricing", "identity", "reports", "claims", "portal", "mobile", "hr",
          "payroll", "analytics", "media", "loyalty", "fraud", "quotes", "tickets", "wiki")
_RTO = {1: 4.0, 2: 8.0, 3: 24.0, 4: 72.0}
_RPO = {1: 1.0, 2: 4.0, 3: 24.0, 4: 24.0}
_FAIL_MESSAGES = ("snapshot quota exceeded", "source unreachable: connection timed out",
                  "credentials expired", "repository full", "VSS writer failed",
                  "agent not responding", "lock held by another job")
_WARN_MESSAGES = ("completed with warnings: files skipped (in use)",
                  "completed with warnings: retry succeeded", "slow throughput")


@dataclass(frozen=True)
class Estate:
    """A generated estate: the metadata mapping and one DataFrame per CSV table (contract columns)."""

    meta: dict[str, Any]
    tables: dict[str, pd.DataFrame]


# --------------------------------------------------------------------------------------
# Building blocks


class _Builder:
    """Collects rows; keeps ids unique and dependency rows free of duplicates."""

    def __init__(self, health: float | None = None, seed: int = 0) -> None:
        self.health = health  # None: the original estate, draw for draw
        self.hrnd = random.Random(f"hiddenspof-synth-health-{seed}")  # extra draws of the health knob only
        self.components: list[dict[str, Any]] = []
        self.ids: set[str] = set()
        self.deps: list[tuple[str, str, str, str | None, int | None]] = []
        self.dep_keys: set[tuple[str, str, str | None]] = set()
        self.backups: list[dict[str, Any]] = []
        self.styles: list[str] = []
        self.protected: set[str] = set()

    def chance(self, at_full_health: float) -> bool:
        """A draw that comes true with probability ``health x at_full_health`` (never without the knob)."""
        return self.health is not None and self.hrnd.random() < self.health * at_full_health

    def separated(self) -> bool:
        """An estate-wide separation (a whole identity or control plane kept apart): certain from health 0.8 up."""
        return self.health is not None and self.hrnd.random() < min(1.0, 1.25 * self.health)

    def weights(self, fragile: tuple, healthy: tuple, default: tuple) -> tuple:
        """Choice weights moved from ``fragile`` (health 0) to ``healthy`` (health 1); ``default`` without the knob."""
        if self.health is None:
            return default
        h = self.health
        return tuple((1 - h) * f + h * g for f, g in zip(fragile, healthy))

    def comp(self, cid: str, kind: str, **attrs: Any) -> str:
        if cid in self.ids:  # pragma: no cover - programming error
            raise AssertionError(f"duplicate synthetic id {cid}")
        self.ids.add(cid)
        self.components.append({"id": cid, "kind": kind, **attrs})
        return cid

    def dep(self, comp: str, on: str, kind: str, group: str | None = None, needs: int | None = None) -> None:
        key = (comp, on, group)
        if comp == on or key in self.dep_keys:
            return
        self.dep_keys.add(key)
        self.deps.append((comp, on, kind, group, needs))

    def group(self, comp: str, members: list[str], kind: str, label: str, needs: int) -> None:
        if len(members) == 1:
            self.dep(comp, members[0], kind)
            return
        for m in members:
            self.dep(comp, m, kind, label, needs)


@dataclass
class _Infra:
    """Ids of the shared infrastructure, looked up when building apps and backups."""

    regions: dict[str, list[str]]            # provider -> region keys "p/r"
    sites: dict[str, list[str]]              # region key -> site ids
    nets: dict[str, list[str]]               # region key -> site network ids
    prod_accounts: dict[str, list[str]]      # provider -> account ids
    backup_account: dict[str, str]           # provider -> backup account id
    cred_admin: dict[str, str]               # account -> credentials id
    cred_backup: dict[str, str]              # account -> credentials id
    cred_root: dict[str, str]                # provider -> break-glass credentials of its backup account
    kms: dict[tuple[str, str], str]          # (account, region key) -> kms id
    cp: dict[str, str]                       # region key -> control plane id
    dns: dict[str, str]                      # provider -> dns id
    mon: dict[str, str]                      # provider -> monitoring id
    store: dict[tuple[str, str], str]        # (prod account, region key) -> snapshot store
    vault: dict[str, str]                    # region key -> backup-account vault
    vaultlock: dict[str, str]                # region key -> object-locked vault
    tools: dict[str, list[str]]              # region key -> restore tools
    landing: dict[str, str]                  # region key -> DR landing zone
    interconnect: dict[str, str]             # cloud provider -> interconnect network
    teams: dict[str, list[str]]              # team role -> team ids
    tape_store: str
    tape_tool: str
    breakglass: str
    alerts: list[str]


def _scale(n: int, per: int, lo: int = 1, hi: int = 1_000) -> int:
    return max(lo, min(hi, n // per))


def _infrastructure(b: _Builder, rnd: random.Random, n: int) -> _Infra:
    """The shared estate: providers down to stores, tools and teams."""
    n_regions = 1 + (n >= 5_000) + (n >= 50_000)
    regions: dict[str, list[str]] = {}
    sites: dict[str, list[str]] = {}
    nets: dict[str, list[str]] = {}
    cp: dict[str, str] = {}
    for p in ("aws", "azure", "onprem"):
        b.comp(f"provider-{p}", "provider", failure_probability=0.001, owner="vendor management")
        regions[p] = []
        for r in _REGIONS[p][: (1 if p == "onprem" else n_regions)]:
            rk = f"{p}/{r}"
            regions[p].append(rk)
            rid = b.comp(f"region-{p}-{r}", "region", location=r)
            b.dep(rid, f"provider-{p}", "location")
            names = ["dc1", "dc2"] if p == "onprem" else (
                [f"{r}{s}" for s in "abc"] if p == "aws" else [f"{r}-z{s}" for s in "123"])
            sites[rk], nets[rk] = [], []
            for s in names:
                sid = b.comp(f"site-{p}-{s}", "site", location=s, failure_probability=0.02 if p == "onprem" else 0.01)
                b.dep(sid, rid, "location")
                nid = b.comp(f"net-{p}-{s}", "network", location=s, owner="network team")
                b.dep(nid, sid, "location")
                sites[rk].append(sid)
                nets[rk].append(nid)
    b.comp("site-offsite-vault", "site", name="Offsite tape vault", location="offsite", failure_probability=0.005)
    b.dep("site-offsite-vault", "region-onprem-emea", "location")
    wan = b.comp("net-onprem-wan", "network", owner="network team")
    b.group(wan, nets["onprem/emea"], "network", "dc-links", 1)

    # Identity and DNS: AD-integrated DNS and AD need each other (a cycle).
    ad = b.comp("idp-onprem-ad", "identity", name="Active Directory", owner="identity team", tier=1, rto_hours=4.0, rpo_hours=24.0, data_gb=40.0)
    dns_corp = b.comp("dns-corp", "dns", name="Corporate DNS", owner="network team", tier=1, rto_hours=4.0, rpo_hours=24.0, data_gb=1.0)
    b.group(ad, nets["onprem/emea"], "network", "dc-sites", 1)
    b.dep(ad, dns_corp, "network")
    b.dep(dns_corp, ad, "identity", None)
    b.group(dns_corp, nets["onprem/emea"], "network", "dc-sites", 1)
    sso = b.comp("idp-corp", "identity", name="Corporate SSO", owner="identity team", tier=1, rto_hours=2.0, rpo_hours=24.0, data_gb=5.0)
    b.dep(sso, ad, "identity")
    b.dep(sso, dns_corp, "network")
    b.dep(sso, wan, "network")

    prod_accounts: dict[str, list[str]] = {}
    backup_account: dict[str, str] = {}
    cred_admin: dict[str, str] = {}
    cred_backup: dict[str, str] = {}
    cred_root: dict[str, str] = {}
    backup_iam: dict[str, str] = {}
    kms: dict[tuple[str, str], str] = {}
    dns: dict[str, str] = {}
    mon: dict[str, str] = {}
    for p in ("aws", "azure", "onprem"):
        if p == "onprem":
            iam = ad
            cps = [b.comp("cp-onprem-vcenter", "control_plane", name="vCenter", owner="platform team")]
            b.group(cps[0], nets["onprem/emea"], "network", "dc-sites", 1)
            b.dep(cps[0], ad, "identity")
            cp["onprem/emea"] = cps[0]
        else:
            iam = b.comp(f"iam-{p}", "identity", owner="identity team")
            b.dep(iam, f"provider-{p}", "control")
            local = None
            if b.separated():  # separation: cloud-native emergency access beside the federated SSO
                local = b.comp(f"idp-{p}-emergency", "identity", owner="identity team",
                               notes="emergency access accounts, not federated from on-premises")
                b.dep(local, f"provider-{p}", "control")
                b.group(iam, [sso, local], "identity", "sign-in", 1)
            else:
                b.dep(iam, sso, "identity")
            backup_iam[p] = iam
            if b.separated():  # separation: the backup account signs in with its own identity
                backup_iam[p] = b.comp(f"idp-{p}-backup", "identity", owner="backup team",
                                       notes="backup administrators' own sign-in, not federated from the corporate directory")
                b.dep(backup_iam[p], f"provider-{p}", "control")
            cps = []
            for rk in regions[p]:
                r = rk.split("/")[1]
                c = b.comp(f"cp-{p}-{r}", "control_plane", failure_probability=0.01)
                b.dep(c, f"region-{p}-{r}", "location")
                sign_in = sorted({iam, backup_iam[p]} | ({local} if local else set()))
                if len(sign_in) == 1:
                    b.dep(c, iam, "identity")
                else:  # the console still opens with any identity that is left
                    b.group(c, sign_in, "identity", "sign-in", 1)
                cp[rk] = c
                cps.append(c)
        n_prod = 1 if p == "onprem" else _scale(n, 8_000, 1, 12)
        prod_accounts[p] = []
        for i in range(1, n_prod + 1):
            name = "corp" if p == "onprem" else f"prod-{i:02d}"
            prod_accounts[p].append(b.comp(f"account-{p}-{name}", "account", owner="cloud team"))
        backup_account[p] = b.comp(f"account-{p}-backup", "account", owner="backup team",
                                   notes="separate account for backup copies")
        if p == "onprem":
            backup_iam[p] = iam
            if b.separated():  # separation: the backup account signs in with its own identity, not the corporate one
                backup_iam[p] = b.comp(f"idp-{p}-backup", "identity", owner="backup team",
                                       notes="backup administrators' own sign-in, not joined to the production domain")
                b.dep(backup_iam[p], f"provider-{p}", "control")
        for acct in prod_accounts[p] + [backup_account[p]]:
            b.dep(acct, f"provider-{p}", "control")
            short = acct.removeprefix("account-")
            cred_admin[acct] = b.comp(f"cred-{short}-admin", "credentials")
            cred_backup[acct] = b.comp(f"cred-{short}-backup", "credentials", notes="backup service role")
            for c in (cred_admin[acct], cred_backup[acct]):
                b.dep(c, acct, "control")
                b.dep(c, backup_iam[p] if acct == backup_account[p] else iam, "identity")
            for rk in regions[p]:
                r = rk.split("/")[1]
                k = b.comp(f"kms-{short}-{r}", "kms")
                b.dep(k, acct, "control")
                if p == "onprem":
                    b.group(k, nets[rk], "network", "hsm-pair", 1)
                else:
                    b.dep(k, cp[rk], "control")
                kms[(acct, rk)] = k
        root = b.comp(f"cred-{p}-backup-breakglass", "credentials", notes="break-glass, stored in a safe")
        b.dep(root, backup_account[p], "control")
        cred_root[p] = root
        d = dns_corp if p == "onprem" else b.comp(f"dns-{p}", "dns")
        if p != "onprem":
            b.group(d, cps, "control", "control-planes", 1)
        dns[p] = d
        m = b.comp(f"mon-{p}", "monitoring", owner="operations")
        b.group(m, nets[regions[p][0]], "network", "sites", 1)
        mon[p] = m
    pager = b.comp("alert-pager", "alerting", name="Pager SaaS", owner="operations")
    email = b.comp("alert-email", "alerting", name="Corporate e-mail", owner="operations")
    b.dep(email, dns_corp, "network")
    b.dep(email, sso, "identity")

    interconnect: dict[str, str] = {}
    for p in ("aws", "azure"):
        ic = b.comp(f"net-interconnect-{p}", "network", throughput_mb_s=1250.0, owner="network team")
        b.dep(ic, wan, "network")
        b.group(ic, nets[regions[p][0]], "network", "landing-sites", 1)
        interconnect[p] = ic

    # Backup stores, tools, landing zones.
    store: dict[tuple[str, str], str] = {}
    vault: dict[str, str] = {}
    vaultlock: dict[str, str] = {}
    tools: dict[str, list[str]] = {}
    landing: dict[str, str] = {}
    n_tools = _scale(n, 20_000, 1, 8)
    for p in ("aws", "azure", "onprem"):
        bacct = backup_account[p]
        for rk in regions[p]:
            r = rk.split("/")[1]
            for acct in prod_accounts[p]:
                short = acct.removeprefix("account-")
                s = b.comp(f"bstore-{short}-{r}", "backup_store", throughput_mb_s=float(rnd.choice([800, 1200, 2000])))
                if p == "onprem":
                    b.dep(s, nets[rk][0], "network")  # one appliance in one data centre
                else:
                    b.group(s, nets[rk], "network", "zones", 1)
                b.dep(s, acct, "control")
                b.dep(s, kms[(acct, rk)], "keys")
                store[(acct, rk)] = s
            short = bacct.removeprefix("account-")
            v = b.comp(f"vault-{p}-{r}", "backup_store", throughput_mb_s=1000.0, owner="backup team")
            lock = b.comp(f"vaultlock-{p}-{r}", "backup_store", throughput_mb_s=600.0, owner="backup team",
                          notes="object lock (compliance mode)")
            for s in (v, lock):
                if p == "onprem":
                    b.dep(s, nets[rk][1], "network")
                else:
                    b.group(s, nets[rk], "network", "zones", 1)
                b.dep(s, bacct, "control")
                b.dep(s, kms[(bacct, rk)], "keys")
            vault[rk], vaultlock[rk] = v, lock
            tools[rk] = []
            if p == "onprem":
                for i in range(1, n_tools + 1):
                    t = b.comp(f"tool-veeam-{i:02d}", "recovery_tool", throughput_mb_s=800.0,
                               max_parallel_restores=8, owner="backup team")
                    b.dep(t, nets[rk][i % 2], "network")
                    if b.separated():  # separate backup admin: the backup server is outside the production domain
                        b.dep(t, cred_backup[backup_account[p]], "identity")
                    else:
                        b.dep(t, ad, "identity", None)
                        b.dep(t, cred_backup[prod_accounts[p][0]], "identity")
                    tools[rk].append(t)
            else:
                t = b.comp(f"tool-{p}-backup-{r}", "recovery_tool", throughput_mb_s=2000.0,
                           max_parallel_restores=20, owner="backup team")
                b.dep(t, cp[rk], "control")
                tools[rk].append(t)
            lz = b.comp(f"landing-{p}-{r}", "other", name=f"DR landing zone {p} {r}", owner="platform team")
            b.dep(lz, bacct, "control")
            if p == "onprem" and b.separated():  # the DR cluster has its own manager, outside the production domain
                dr_cp = b.comp("cp-onprem-dr", "control_plane", name="DR cluster manager", owner="platform team",
                               notes="local accounts, not joined to the production directory")
                b.dep(dr_cp, nets[rk][1], "network")
                b.dep(dr_cp, cred_backup[bacct], "identity")
                b.dep(lz, dr_cp, "control")
            else:
                b.dep(lz, cp[rk], "control")
            b.group(lz, nets[rk], "network", "zones", 1)
            landing[rk] = lz
    tape_store = b.comp("tape-shelf-offsite", "backup_store", owner="backup team", notes="tapes on a shelf")
    b.dep(tape_store, "site-offsite-vault", "location")
    tape_tool = b.comp("tool-tape-robot", "recovery_tool", throughput_mb_s=300.0, max_parallel_restores=2,
                       owner="backup team", notes="two LTO drives")
    b.dep(tape_tool, nets["onprem/emea"][1], "network")
    breakglass = cred_root["onprem"]

    teams: dict[str, list[str]] = {}
    for role, per, par in (("dba", 15_000, 4), ("platform", 15_000, 6), ("storage", 50_000, 3)):
        teams[role] = [b.comp(f"team-{role}-{i:02d}", "team", max_parallel_restores=par, owner=role)
                       for i in range(1, _scale(n, per, 1, 10) + 1)]
    return _Infra(regions, sites, nets, prod_accounts, backup_account, cred_admin, cred_backup, cred_root,
                  kms, cp, dns, mon, store, vault, vaultlock, tools, landing, interconnect, teams,
                  tape_store, tape_tool, breakglass, [pager, email])


@dataclass
class _Asset:
    """Where an asset lives: enough to wire its backups."""

    id: str
    kind: str
    provider: str
    region: str
    account: str
    tier: int | None


def _pick_style(b: _Builder, rnd: random.Random, asset: _Asset, k: int, count: int) -> str:
    """A coupling style: the first backup is usually the cheap same-account one (less so in healthy estates)."""
    if count < len(COUPLING_STYLES):  # guarantee every style exists, even in small estates
        return COUPLING_STYLES[count]
    replica = 8 if asset.kind == "datastore" else 0
    if k == 0:
        weights = b.weights((65, 20, 2, 1, 2, replica), (10, 10, 45, 10, 25, 0), (55, 20, 6, 4, 7, replica))
    else:
        weights = b.weights((25, 40, 10, 5, 10, replica), (0, 10, 50, 20, 20, 0), (10, 30, 18, 16, 18, replica))
    return rnd.choices(COUPLING_STYLES, weights=weights)[0]


def _add_backup(b: _Builder, inf: _Infra, rnd: random.Random, asset: _Asset, k: int) -> None:
    """One backup of ``asset`` with its restore dependencies, by coupling style."""
    style = _pick_style(b, rnd, asset, k, len(b.backups))
    p, rk, acct = asset.provider, asset.region, asset.account
    bid = f"bkp-{asset.id}-{k + 1}"
    role = "dba" if asset.kind == "datastore" else "platform"
    team = rnd.choice(inf.teams[role])
    deps: list[tuple[str, str]] = []
    restore_to = None
    immutable = offline = False
    schedule = 24.0
    if style == "same_account":
        method = "snapshot" if asset.kind == "datastore" else rnd.choice(["image", "snapshot", "file_copy"])
        deps = [(inf.store[(acct, rk)], "storage"), (rnd.choice(inf.tools[rk]), "restore"),
                (inf.cred_admin[acct], "identity"), (inf.kms[(acct, rk)], "keys")]
        retention = rnd.choice([7.0, 14.0, 35.0])
    elif style == "other_account":
        bacct = inf.backup_account[p]
        method = rnd.choice(["object_copy", "dump"] if asset.kind == "datastore" else ["object_copy", "image"])
        deps = [(inf.vault[rk], "storage"), (rnd.choice(inf.tools[rk]), "restore"),
                (inf.cred_backup[bacct], "identity"), (inf.kms[(bacct, rk)], "keys")]
        if rnd.random() < 0.3 or b.chance(0.8):
            restore_to = inf.landing[rk]
        immutable = b.chance(0.7)
        retention = rnd.choice([35.0, 90.0, 365.0])
    elif style == "other_provider":
        q = "onprem" if p != "onprem" else rnd.choice(["aws", "azure"])
        qk = inf.regions[q][0]
        bacct = inf.backup_account[q]
        method = "object_copy"
        deps = [(inf.vault[qk], "storage"), (rnd.choice(inf.tools[qk]), "restore"),
                (inf.cred_backup[bacct], "identity"), (inf.kms[(bacct, qk)], "keys")]
        if rnd.random() < 0.5 or b.chance(1.0):
            restore_to = inf.landing[qk]
        if restore_to is None or b.health is None:  # restoring into the other provider's landing zone stays there
            deps.append((inf.interconnect[p if p != "onprem" else q], "network"))
        immutable = b.chance(0.7)
        retention = rnd.choice([90.0, 365.0])
    elif style == "offline":
        method, offline, schedule = "tape", True, 168.0
        deps = [(inf.tape_store, "storage"), (inf.tape_tool, "restore"), (inf.breakglass, "identity"),
                (rnd.choice(inf.teams["storage"]), "restore")]
        if b.chance(0.9):  # restored into the DR landing zone, not in place next to what destroyed the asset
            restore_to = inf.landing[inf.regions["onprem"][0]]
        if p != "onprem" and (restore_to is None or b.health is None):  # back to the cloud over the interconnect
            deps.append((inf.interconnect[p], "network"))
        retention = rnd.choice([365.0, 2555.0])
    elif style == "immutable":
        bacct = inf.backup_account[p]
        method, immutable = "object_copy", True
        cred = inf.cred_root[p] if rnd.random() < 0.5 else inf.cred_backup[bacct]
        deps = [(inf.vaultlock[rk], "storage"), (rnd.choice(inf.tools[rk]), "restore"),
                (cred, "identity"), (inf.kms[(bacct, rk)], "keys")]
        if b.chance(0.9):
            restore_to = inf.landing[rk]
        retention = rnd.choice([30.0, 90.0])
    else:  # replica: a standby in another region (or site) of the same account
        method = "replica"
        others = [r for r in inf.regions[p] if r != rk]
        rk2 = others[0] if others else rk
        site_net = inf.nets[rk2][-1] if others else inf.nets[rk][-1]
        deps = [(site_net, "network"), (inf.cred_admin[acct], "identity"), (inf.kms[(acct, rk2)], "keys")]
        if rnd.random() < 0.5:
            restore_to = inf.landing[rk2]
        retention = 1.0
    deps.append((team, "restore"))
    verification = rnd.choices(["none", "job_status", "checksum", "restore_test", "dr_drill"],
                               weights=b.weights((25, 60, 10, 5, 0), (0, 5, 15, 55, 25), (10, 45, 15, 25, 5)))[0]
    alert = rnd.choices([inf.alerts[0], inf.alerts[1], inf.mon[p], None], weights=(40, 30, 20, 10))[0]
    b.comp(bid, "backup")
    for on, kind in deps:
        b.dep(bid, on, kind)
    b.backups.append({
        "id": bid, "protects": asset.id, "method": method, "schedule_hours": schedule,
        "retention_days": retention, "immutable": immutable, "offline": offline,
        "verification": verification, "alert_channel": alert, "restore_to": restore_to,
        "restore_mb_s": float(rnd.choice([100, 200, 400, 800])) if rnd.random() < 0.5 else None,
        "notes": style,
    })
    b.styles.append(style)
    b.protected.add(asset.id)


def _protect(b: _Builder, inf: _Infra, rnd: random.Random, asset: _Asset) -> None:
    count = rnd.choices((1, 2, 3), weights=b.weights((90, 8, 2), (10, 45, 45), (75, 18, 7)))[0]
    for k in range(count):
        _add_backup(b, inf, rnd, asset, k)


def _tier_attrs(rnd: random.Random, tier: int) -> dict[str, Any]:
    attrs: dict[str, Any] = {"tier": tier}
    if rnd.random() < 0.95:
        attrs["rto_hours"] = _RTO[tier]
        attrs["rpo_hours"] = _RPO[tier]
    return attrs


def _applications(b: _Builder, inf: _Infra, rnd: random.Random, n: int) -> None:
    """Apps in three layers until the estate reaches about ``n`` components."""
    layers: list[list[list[str]]] = [[], [], []]   # layer -> apps -> service ids
    cycle_every = max(40, n // 40)                  # a handful of cycles at any size
    home: dict[str, _Asset] = {}                   # service -> where it runs
    i = cycles = 0
    while len(b.components) < n:
        i += 1
        name = f"{rnd.choice(_WORDS)}-{i:05d}"
        p = rnd.choices(("aws", "azure", "onprem"), weights=(45, 30, 25))[0]
        rk = rnd.choice(inf.regions[p])
        acct = rnd.choice(inf.prod_accounts[p])
        tier = rnd.choices((1, 2, 3, 4), weights=(15, 30, 35, 20))[0]
        owner = f"team {name.split('-')[0]}"
        nets = inf.nets[rk]
        dbs: list[str] = []
        for j in range(1, rnd.choices((1, 2), weights=(60, 40))[0] + 1):
            db = b.comp(f"{name}-db{j}", "datastore", owner=owner, location=rk,
                        data_gb=round(float(np.exp(rnd.gauss(5.0, 1.5))), 1), **_tier_attrs(rnd, tier))
            shape = rnd.choices(("quorum", "pair", "single"), weights=(35, 25, 40))[0]
            if shape == "single":
                b.dep(db, rnd.choice(nets), "network")
                b.dep(db, inf.kms[(acct, rk)], "keys")
                b.dep(db, acct, "control")
            else:
                size = 3 if shape == "quorum" else 2
                nodes = []
                for m in range(size):
                    node = b.comp(f"{name}-db{j}-n{m + 1}", "datastore", owner=owner, location=rk)
                    b.dep(node, nets[m % len(nets)], "network")
                    b.dep(node, inf.kms[(acct, rk)], "keys")
                    b.dep(node, acct, "control")
                    nodes.append(node)
                b.group(db, nodes, "runtime", shape, 2 if shape == "quorum" else 1)
            dbs.append(db)
            if rnd.random() < 0.9:
                _protect(b, inf, rnd, _Asset(db, "datastore", p, rk, acct, tier))
        layer = rnd.choices((0, 1, 2), weights=(40, 35, 25))[0]
        lower = layers[layer - 1] if layer else []
        svcs = []
        for j in range(1, rnd.choices((1, 2, 3, 4), weights=(25, 35, 25, 15))[0] + 1):
            s = b.comp(f"{name}-svc{j}", "service", owner=owner, location=rk,
                       data_gb=round(rnd.uniform(2, 60), 1), **_tier_attrs(rnd, tier))
            for db in rnd.sample(dbs, rnd.randint(1, len(dbs))):
                b.dep(s, db, "runtime")
            if rnd.random() < 0.7:
                b.group(s, rnd.sample(nets, min(len(nets), rnd.choice((2, 3)))), "network", "zones", 1)
            else:
                b.dep(s, rnd.choice(nets), "network")
            b.dep(s, inf.cred_admin[acct], "identity")
            b.dep(s, inf.dns[p], "network")
            if rnd.random() < 0.5:
                b.dep(s, inf.mon[p], "monitoring")
            if lower and rnd.random() < 0.6:
                for app in rnd.sample(lower, min(len(lower), rnd.randint(1, 2))):
                    b.dep(s, rnd.choice(app), "runtime")
            svcs.append(s)
            home[s] = _Asset(s, "service", p, rk, acct, tier)
            if rnd.random() < 0.2:
                _protect(b, inf, rnd, _Asset(s, "service", p, rk, acct, tier))
        if (i % cycle_every == 0 or not cycles) and layers[layer]:
            cycles += 1
            # a deliberate cycle: two apps of one layer call each other (both protected)
            other = rnd.choice(layers[layer])[0]
            b.dep(svcs[0], other, "runtime")
            b.dep(other, svcs[0], "runtime")
            for sid in (svcs[0], other):
                if sid not in b.protected:
                    _protect(b, inf, rnd, home[sid])
        layers[layer].append(svcs)


def _infra_assets(b: _Builder, inf: _Infra, rnd: random.Random) -> None:
    """Protect the identity, DNS and a restore tool catalogue: restore them first."""
    ork = "onprem/emea"
    corp = inf.prod_accounts["onprem"][0]
    for cid, kind in (("idp-onprem-ad", "identity"), ("dns-corp", "dns"), ("idp-corp", "identity"),
                      (inf.tools[ork][0], "recovery_tool")):
        _protect(b, inf, rnd, _Asset(cid, kind, "onprem", ork, corp, 1))


# --------------------------------------------------------------------------------------
# History: vectorised over every run of every backup


def _history(rng: np.random.Generator, backups: pd.DataFrame, base_gb: np.ndarray,
             as_of: dt.date, days: int, health: float | None = None) -> pd.DataFrame:
    """Daily (weekly for tape) runs ending the day before ``as_of``, with anomalies (fewer when healthy)."""
    nb = len(backups)
    flaky = 0.1 if health is None else 0.2 * (1 - health) + 0.01  # share of backups that fail often
    interval = np.where(backups["schedule_hours"].to_numpy() >= 168, 7, 1)
    n_runs = days // interval
    silent = rng.random(nb) < 0.02
    silent[rng.integers(0, nb)] = nb > 1                               # at least one, even when small
    n_runs[silent] = 0                                                  # never ran / not monitored
    # one backup per anomaly kind carries it alone, so even a small estate shows every kind
    forced = rng.permutation(np.flatnonzero(n_runs >= 60))[:5]
    total = int(n_runs.sum())
    bi = np.repeat(np.arange(nb), n_runs)
    first = np.cumsum(n_runs) - n_runs
    k = np.arange(total) - np.repeat(first, n_runs)                    # 0 = oldest run
    last = n_runs[bi] - 1
    end = np.datetime64(as_of, "s") - np.timedelta64(1, "D")
    day = end - ((last - k) * interval[bi]).astype("timedelta64[D]")
    start_min = rng.integers(18 * 60, 27 * 60, nb) % (24 * 60)         # nightly window 18:00-03:00
    start_s = np.minimum(start_min[bi] * 60 + rng.integers(0, 600, total), 86_399)  # same calendar day
    started = day + start_s.astype("timedelta64[s]")

    def choose(p: float, j: int) -> np.ndarray:
        mask = rng.random(nb) < p
        mask[forced] = False
        if j < len(forced):
            mask[forced[j]] = True
        return mask

    def window(mask: np.ndarray, lo: int, hi: int, at_end: float) -> tuple[np.ndarray, np.ndarray]:
        """Per backup: [begin, stop) run indices of an anomaly window (empty where not chosen)."""
        length = rng.integers(lo, hi + 1, nb)
        ends = rng.random(nb) < at_end
        inner = 1 + (rng.random(nb) * np.maximum(n_runs - length - 1, 0)).astype(int)  # not at the start
        begin = np.where(ends, n_runs - length, inner)
        begin = np.where(mask, np.maximum(begin, 0), n_runs)
        return begin, np.where(mask, begin + length, n_runs)

    growth = 1.0 + rng.uniform(0.0, 0.4, nb)[bi] * k / np.maximum(last, 1)
    size = base_gb[bi] * growth * rng.lognormal(0.0, 0.05, total)
    rate = rng.uniform(80.0, 600.0, nb)                                 # MB/s of this job
    incr = rng.uniform(0.05, 0.3, nb)
    duration = 120.0 + size * 1024.0 * incr[bi] / rate[bi] * rng.lognormal(0.0, 0.15, total)

    p_fail = np.where(rng.random(nb) < flaky, rng.uniform(0.04, 0.12, nb), rng.uniform(0.002, 0.02, nb))
    u = rng.random(total)
    status = np.where(u < p_fail[bi], 2, np.where(u < p_fail[bi] + 0.02, 1, 0))  # 0 ok, 1 warn, 2 failed

    s0, s1 = window(choose(0.03, 0), 3, 30, 0.5)                          # failure streaks
    status[(k >= s0[bi]) & (k < s1[bi])] = 2
    t0, _ = window(choose(0.02, 1), 3, 20, 1.0)                           # tiny "successful" runs
    tiny = k >= t0[bi]
    size[tiny] = rng.uniform(0.0001, 0.01, int(tiny.sum()))
    duration[tiny] = rng.uniform(5.0, 40.0, int(tiny.sum()))
    status[tiny & (status == 2)] = 0
    c0, _ = window(choose(0.02, 2), 10, 120, 1.0)                         # size collapse
    collapsed = k >= c0[bi]
    size[collapsed] *= rng.uniform(0.05, 0.2, nb)[bi[collapsed]]
    spiky = choose(0.03, 3)
    spike = rng.random(total) < np.where(spiky, 5.0 / np.maximum(n_runs, 1), 0.0)[bi]
    spike |= spiky[bi] & (k == n_runs[bi] // 2)                          # at least one per spiky backup
    duration[spike] *= rng.uniform(8.0, 20.0, int(spike.sum()))         # duration spikes
    duration = np.minimum(duration, 20 * 3600.0)
    failed = status == 2
    duration[failed] = rng.uniform(30.0, 1800.0, int(failed.sum()))
    g0, g1 = window(choose(0.03, 4), 7, 60, 0.35)                          # gaps: no runs at all
    keep = ~((k >= g0[bi]) & (k < g1[bi]))

    msg = np.full(total, -1)
    msg[failed] = rng.integers(0, len(_FAIL_MESSAGES), int(failed.sum()))
    warn = status == 1
    msg[warn] = len(_FAIL_MESSAGES) + rng.integers(0, len(_WARN_MESSAGES), int(warn.sum()))
    no_finish = failed & (rng.random(total) < 0.2)                    # killed jobs leave no end time
    finished = started + np.round(duration).astype("timedelta64[s]")
    size = np.round(size, 4)
    size[failed] = np.nan

    ids = pd.Categorical.from_codes(bi[keep], categories=backups["id"].to_numpy())
    messages = pd.Categorical.from_codes(msg[keep], categories=list(_FAIL_MESSAGES + _WARN_MESSAGES))
    frame = pd.DataFrame({
        "backup": ids,
        "started_at": started[keep],
        "finished_at": np.where(no_finish, np.datetime64("NaT"), finished)[keep].astype("datetime64[s]"),
        "status": pd.Categorical.from_codes(status[keep], categories=["success", "warning", "failed"]),
        "size_gb": size[keep],
        "message": messages,
    })
    return frame


def _restore_tests(rng: np.random.Generator, backups: pd.DataFrame, base_gb: np.ndarray,
                   as_of: dt.date, health: float | None = None) -> pd.DataFrame:
    """Restore tests: regular for some backups, stale or absent for others (fewer stale when healthy)."""
    nb = len(backups)
    stale_share = 0.15 if health is None else 0.3 * (1 - health) + 0.02
    verification = backups["verification"].to_numpy()
    lam = np.select([verification == "dr_drill", verification == "restore_test"], [4.0, 3.0], 0.3)
    count = rng.poisson(lam)
    total = int(count.sum())
    bi = np.repeat(np.arange(nb), count)
    stale = (rng.random(nb) < stale_share)[bi]
    age = np.where(stale, rng.integers(366, 1100, total), rng.integers(1, 365, total))
    tested = np.datetime64(as_of, "D") - age.astype("timedelta64[D]")
    result = rng.choice(3, total, p=[0.8, 0.12, 0.08])
    scope = rng.choice(3, total, p=[0.55, 0.35, 0.10])
    scope = np.where(verification[bi] == "dr_drill", np.maximum(scope, 1 + (rng.random(total) < 0.5)), scope)
    if total >= 3:  # every result, scope and a stale test occur even in a small estate
        result[rng.permutation(total)[:3]] = [0, 1, 2]
        scope[rng.permutation(total)[:3]] = [0, 1, 2]
        stale_row = rng.integers(0, total)
        tested[stale_row] = np.datetime64(as_of, "D") - np.timedelta64(int(rng.integers(366, 1100)), "D")
    frac = np.where(scope == 0, rng.uniform(0.001, 0.05, total), rng.uniform(0.8, 1.0, total))
    restored = base_gb[bi] * frac * np.where(result == 2, rng.uniform(0.0, 0.5, total), 1.0)
    hours = restored * 1024.0 / rng.uniform(100.0, 600.0, total) / 3600.0 + rng.uniform(0.1, 1.0, total)
    frame = pd.DataFrame({
        "backup": backups["id"].to_numpy()[bi],
        "tested_at": pd.to_datetime(tested).strftime("%Y-%m-%d"),
        "result": np.array(["pass", "partial", "fail"])[result],
        "scope": np.array(["file", "full", "dr_drill"])[scope],
        "restored_gb": np.round(restored, 2),
        "duration_hours": np.round(hours, 2),
        "notes": None,
    })
    return frame.sort_values(["backup", "tested_at"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------------------
# Public API


def generate_estate(components: int, seed: int = 0, *, history_days: int = DEFAULT_HISTORY_DAYS,
                    as_of: dt.date = AS_OF, health: float | None = None) -> Estate:
    """Build a synthetic estate of about ``components`` components in memory.

    Parameters
    ----------
    components : int
        Target number of components, backups included (at least
        :data:`MIN_COMPONENTS`); the result has this many or slightly more
        (the last application is not cut short).
    seed : int
        Seed of every random draw; the same arguments give the same estate.
    history_days : int
        Days of job history per backup, ending the day before ``as_of``
        (default :data:`DEFAULT_HISTORY_DAYS`; 0 writes no runs).
    as_of : datetime.date
        The assessment date (default :data:`AS_OF`).
    health : float, optional
        How healthy the estate is, 0 (fragile) to 1 (healthy); see
        :data:`HEALTH`. None (default) gives the original estate, draw for
        draw (the benchmarks' estates).

    Returns
    -------
    Estate
        ``meta`` (the ``inventory.yaml`` mapping) and the five tables.

    Raises
    ------
    UsageError
        If ``components`` is below :data:`MIN_COMPONENTS` or ``history_days`` is negative.
    """
    if isinstance(components, bool) or not isinstance(components, (int, np.integer)) or components < MIN_COMPONENTS:
        raise UsageError(f"components must be an integer >= {MIN_COMPONENTS} (got {components!r})")
    if isinstance(history_days, bool) or not isinstance(history_days, (int, np.integer)) or history_days < 0:
        raise UsageError(f"history_days must be an integer >= 0 (got {history_days!r})")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise UsageError(f"seed must be an integer (got {seed!r})")
    if health is not None:
        if isinstance(health, bool) or not isinstance(health, (int, float)) or not 0.0 <= float(health) <= 1.0:
            raise UsageError(f"health must be a number from 0 (fragile) to 1 (healthy) (got {health!r})")
        health = float(health)
    n = int(components)
    rnd = random.Random(seed)
    b = _Builder(health, seed)
    inf = _infrastructure(b, rnd, n)
    _infra_assets(b, inf, rnd)
    _applications(b, inf, rnd, n)

    comps = pd.DataFrame(b.components).reindex(columns=_COLUMNS["components"])
    comps["tier"] = comps["tier"].astype("Int64")
    comps["max_parallel_restores"] = comps["max_parallel_restores"].astype("Int64")
    deps = pd.DataFrame(b.deps, columns=["component", "depends_on", "kind", "group", "needs"])
    deps["needs"] = deps["needs"].astype("Int64")
    deps["notes"] = None
    backups = pd.DataFrame(b.backups).reindex(columns=_COLUMNS["backups"])
    for col in ("immutable", "offline"):
        backups[col] = np.where(backups[col].astype(bool), "true", "false")

    data_gb = comps.set_index("id")["data_gb"]
    asset_gb = data_gb.reindex(backups["protects"]).to_numpy()
    asset_gb = np.where(np.isnan(asset_gb), 10.0, asset_gb)
    brng = np.random.default_rng(seed)
    ratio = np.where(backups["method"].to_numpy() == "dump", brng.uniform(0.2, 0.5, len(backups)), 1.0)
    base_gb = asset_gb * ratio
    backups["size_gb"] = np.where(brng.random(len(backups)) < 0.5, np.round(base_gb, 1), np.nan)
    runs = _history(brng, backups, base_gb, as_of, history_days, health)
    tests = _restore_tests(brng, backups, base_gb, as_of, health)

    region = inf.regions["aws"][0].split("/")[1]
    meta = {
        "name": f"Synthetic estate ({n} components, seed {seed}"
                + (")" if health is None else f", health {health:.2f})"),
        "as_of": as_of.isoformat(),
        "organisation": "Example Corp (synthetic)",
        "description": ("Generated by hiddenspof.synth: three providers, layered applications with "
                        "redundancy groups and a few cycles, varied backup coupling and a year of "
                        f"job history ({history_days} days)."),
        "scenarios": [
            {"name": f"Loss of region {region}", "fail": [f"region-aws-{region}"], "mode": "region_loss"},
            {"name": "Fire in data centre 1", "fail": ["site-onprem-dc1"]},
            {"name": "Corporate identity outage", "fail": ["idp-corp", "idp-onprem-ad"], "mode": "identity_outage"},
            {"name": "Stolen production admin credentials",
             "fail": [inf.cred_admin[inf.prod_accounts["aws"][0]]], "mode": "credential_compromise"},
        ],
    }
    return Estate(meta, {"components": comps, "dependencies": deps, "backups": backups,
                         "backup_runs": runs, "restore_tests": tests})


def write_estate(out_dir: str | os.PathLike, components: int, seed: int = 0, *,
                 history_days: int = DEFAULT_HISTORY_DAYS, as_of: dt.date = AS_OF,
                 health: float | None = None) -> dict[str, int]:
    """Write a synthetic estate as a CSV-folder inventory (``inventory.yaml`` plus five CSV files).

    Parameters
    ----------
    out_dir : path
        Folder to write; created if missing. Only the six inventory files in
        it are (over)written.
    components, seed, history_days, as_of, health
        As for :func:`generate_estate`.

    Returns
    -------
    dict
        Rows written per table (``{"components": ..., "backup_runs": ...}``).

    Raises
    ------
    UsageError
        For bad arguments, or when ``out_dir`` exists and is not a folder.

    Examples
    --------
    >>> import tempfile
    >>> counts = write_estate(tempfile.mkdtemp(), 300, seed=1, history_days=30)
    >>> counts["components"] >= 300
    True
    """
    estate = generate_estate(components, seed, history_days=history_days, as_of=as_of, health=health)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "inventory.yaml", "w", encoding="utf-8", newline="\n") as fh:
        yaml.safe_dump(estate.meta, fh, sort_keys=False, allow_unicode=True, width=100)
    counts = {}
    for name, frame in estate.tables.items():
        _write_csv(frame, out / f"{name}.csv")
        counts[name] = len(frame)
    return counts


def _write_csv(frame: pd.DataFrame, path: Path, chunk: int = 500_000) -> None:
    """Write ``frame`` as UTF-8 CSV; date-times as ``YYYY-MM-DDTHH:MM:SS``, in chunks to bound memory."""
    stamps = [c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        for lo in range(0, max(len(frame), 1), chunk):
            part = frame.iloc[lo:lo + chunk]
            if stamps:
                part = part.copy()
                for c in stamps:
                    text = np.datetime_as_string(part[c].to_numpy().astype("datetime64[s]"), unit="s")
                    part[c] = np.where(text == "NaT", "", text)
            part.to_csv(fh, index=False, header=lo == 0, lineterminator="\n")


def fleet_healths(count: int) -> list[float]:
    """Health of each estate of a fleet of ``count``: spread evenly from 0.05 to 0.95, in a fixed shuffled order.

    >>> fleet_healths(4)
    [0.65, 0.95, 0.35, 0.05]
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise UsageError(f"a fleet has at least one estate (got {count!r})")
    levels = [round(0.05 + 0.9 * i / (count - 1), 2) if count > 1 else 0.5 for i in range(count)]
    random.Random(f"hiddenspof-fleet-{count}").shuffle(levels)
    return levels


def write_fleet(out_dir: str | os.PathLike, count: int, components: int, first_seed: int = 1, *,
                history_days: int = DEFAULT_HISTORY_DAYS) -> list[Path]:
    """Write ``count`` estates (seeds ``first_seed``...) spanning healthy to fragile: ``OUT/seed-<S>/``.

    Healths come from :func:`fleet_healths`, so a fleet looks like a real
    portfolio: a few well-run estates, a few fragile ones, most in between.
    Returns the folders written, in seed order.
    """
    out = Path(out_dir)
    folders = []
    for i, health in enumerate(fleet_healths(count)):
        seed = first_seed + i
        folder = out / f"seed-{seed}"
        write_estate(folder, components, seed, history_days=history_days, health=health)
        folders.append(folder)
    return folders
