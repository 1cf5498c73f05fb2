"""The conda environment.yml and pyproject.toml name the same packages at the same versions."""

from __future__ import annotations

import re
import tomllib

import yaml
from conftest import ROOT


def _pins(lines) -> dict[str, str]:
    out = {}
    for line in lines:
        m = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*==\s*([^\s;]+)\s*", line)
        assert m, f"not an exact pin: {line!r}"
        out[m.group(1).lower().replace("_", "-")] = m.group(2)
    return out


def test_environment_yml_matches_pyproject():
    """Every pinned package of pyproject (with the dev extra) is in environment.yml at the same version, and nothing else."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = _pins(project["dependencies"] + project["optional-dependencies"]["dev"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    listed = _pins(p for p in pip_section if not p.startswith("-e"))
    assert listed == wanted
    assert "python=3.11" in env["dependencies"]


def test_lock_agrees_with_pins():
    """requirements.lock pins every direct dependency at the version pyproject names."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = _pins(project["dependencies"] + project["optional-dependencies"]["dev"])
    lock = _pins(line for line in (ROOT / "requirements.lock").read_text().splitlines() if line and not line.startswith("#"))
    for name, version in wanted.items():
        assert lock.get(name) == version, name
