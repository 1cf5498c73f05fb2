"""The modelling guide in docs/inventory-format.md: its example inventories give exactly the verdicts it lists.

The examples and their verdict tables are read from the page itself, so the page cannot drift from the
analysis; the traps the page describes in prose are built here from the examples and checked too.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hiddenspof import analysis
from hiddenspof.inventory import from_mapping

DOC = Path(__file__).resolve().parents[1] / "docs" / "inventory-format.md"


def _examples() -> dict[str, dict]:
    """Example name -> its YAML mapping, from the ``<!-- example: NAME -->`` blocks of the page."""
    text = DOC.read_text(encoding="utf-8")
    found = re.findall(r"<!-- example: ([\w-]+) -->\s*```yaml\n(.*?)```", text, flags=re.S)
    return {name: yaml.safe_load(body) for name, body in found}


def _verdicts() -> dict[str, list[tuple[str, str, str]]]:
    """Example name -> its (asset, check, expected) rows, from the ``<!-- verdicts: NAME -->`` tables."""
    text = DOC.read_text(encoding="utf-8")
    out = {}
    for name, table in re.findall(r"<!-- verdicts: ([\w-]+) -->\s*\n((?:\|.*\n)+)", text):
        rows = [[c.strip().strip("`") for c in line.strip().strip("|").split("|")] for line in table.splitlines()]
        out[name] = [tuple(r) for r in rows[2:]]  # header and rule lines first
    return out


def _analyse(mapping: dict) -> dict:
    return analysis.analyze(from_mapping(mapping, source="<docs/inventory-format.md>"))


def _observed(doc: dict, asset: str, check: str) -> str:
    """What the analysis JSON says for one verdict row, as the page writes it."""
    entry = next(a for a in doc["assets"] if a["id"] == asset)
    if check == "common_cause":
        return ", ".join(entry["common_cause"]) or "none"
    if check == "restore_all_start":
        scenario = next(s for s in doc["capacity"]["scenarios"] if s["kind"] == "restore_all")
        start = next(r["start_hours"] for r in scenario["restores"] if r["asset"] == asset)
        return f"{start:.2f}".rstrip("0").rstrip(".")
    return entry["threats"][check]


def test_the_page_has_its_examples_and_verdicts():
    """Both examples are on the page, each with a verdict table."""
    assert set(_examples()) == {"directory", "backup-server"}
    assert set(_verdicts()) == {"directory", "backup-server"}


@pytest.mark.parametrize("name", ["directory", "backup-server"])
def test_example_gives_the_verdicts_the_page_lists(name):
    """Every row of the example's verdict table is what the analysis says."""
    doc = _analyse(_examples()[name])
    rows = _verdicts()[name]
    assert rows
    for asset, check, expected in rows:
        assert _observed(doc, asset, check) == expected, (name, asset, check)


def test_the_directory_trap():
    """Plain rows from ad to every DC and the backup on ad instead of the DCs: erp is unrecoverable after the
    site loss that restoring the DCs would end, with the DCs, their host and site as common causes."""
    m = _examples()["directory"]
    m["dependencies"] = [{k: v for k, v in d.items() if k not in ("group", "needs")} for d in m["dependencies"]
                         if not str(d["component"]).startswith(("dc1-state", "dc2-state"))]
    m["backups"] = [dict(b, restore_to=None) if b["id"] == "ad-forest" else b for b in m["backups"]
                    if b["id"] not in ("dc1-state", "dc2-state")]
    for b in m["backups"]:
        if b.get("restore_to") is None:
            b.pop("restore_to", None)
    doc = _analyse(m)
    assert _observed(doc, "erp", "site_loss") == "unrecoverable"
    assert _observed(doc, "erp", "common_cause") == "dc1, dc2, esx-a, site-a"


def test_without_the_configuration_backup_the_site_loss_is_final():
    """Without vbr-config the loss of site-a leaves erp, files and mail unrecoverable (esx-a and site-a common)."""
    m = _examples()["backup-server"]
    m["backups"] = [b for b in m["backups"] if b["id"] != "vbr-config"]
    m["dependencies"] = [d for d in m["dependencies"] if d["component"] != "vbr-config"]
    doc = _analyse(m)
    for asset in ("erp", "files", "mail"):
        assert _observed(doc, asset, "site_loss") == "unrecoverable"
        assert _observed(doc, asset, "common_cause") == "esx-a, site-a"


def test_a_team_as_a_requirement_is_a_single_point_of_failure():
    """With the configuration backup restored in place, a team under the backup server (a plain row) becomes a
    common cause of it (blast radius 1); as capacity on the server it is none."""
    def in_place(m):
        m["backups"] = [{k: v for k, v in b.items() if not (b["id"] == "vbr-config" and k == "restore_to")}
                        for b in m["backups"]]
        return m

    capacity = _analyse(in_place(_examples()["backup-server"]))
    assert "backup-team" not in _observed(capacity, "vbr", "common_cause")
    trap = in_place(_examples()["backup-server"])
    for c in trap["components"]:
        if c["id"] == "vbr":
            c.pop("max_parallel_restores")
    trap["components"].append({"id": "backup-team", "kind": "team", "max_parallel_restores": 2})
    trap["dependencies"].append({"component": "vbr", "depends_on": "backup-team"})
    doc = _analyse(trap)
    assert "backup-team" in _observed(doc, "vbr", "common_cause").split(", ")
    assert next(c["blast_radius"] for c in doc["components"] if c["id"] == "backup-team") == 1
