"""One environment's analysis, computed once and shared by every notebook of its report.

A report runs five notebooks on the same inventory. Each used to load the
inventory and run its own share of the analysis again (and the summary ran
all of it). ``hiddenspof report`` now analyses each environment once, in the
worker that also writes ``analysis.json``, saves the objects the JSON is made
from (:class:`Assessment`) to a temporary pickle and *preloads* it into the
kernel that executes the notebooks; :func:`open` then returns it.

Notebooks call :func:`open` (or :func:`open_inventory`) with their
``inventory_path`` parameter. Opened interactively, or executed by papermill
outside a report, nothing is preloaded and :func:`open` loads and analyses
the inventory itself: the notebooks still run standalone, and both paths
give the same objects (``tests/test_assessment.py`` checks the JSON and the
rendered notebooks byte for byte).

A preloaded assessment is matched by the inventory's resolved path; the
report forgets it before the next environment (:func:`forget`). The pickle
never leaves the report's temporary folder (a pickle is code, and a report
is handed to clients).
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Assessment", "assess", "open", "open_inventory", "save", "preload", "forget", "preloaded"]


@dataclass(frozen=True)
class Assessment:
    """An inventory and every analysis of it: what the analysis JSON and the notebooks are made from."""

    inventory_path: str  # resolved
    inventory: object  # hiddenspof.inventory.Inventory
    model: object  # hiddenspof.model.Model
    coupling: object  # hiddenspof.coupling.CouplingResult
    silent: object  # hiddenspof.silent.SilentResult
    capacity: object  # hiddenspof.capacity.CapacityResult
    result: dict  # analysis.analyze(inventory): the contract's JSON as a dict


_PRELOADED: dict[str, Assessment] = {}


def _key(path: str | Path) -> str:
    return str(Path(path).resolve())


def assess(inventory, inventory_path: str | Path) -> Assessment:
    """Analyse a loaded inventory once (``analysis.analyze``) and keep the parts of the result."""
    from . import analysis

    parts: dict = {}
    result = analysis.analyze(inventory, parts=parts)
    return Assessment(_key(inventory_path), inventory, parts["model"], parts["coupling"], parts["silent"],
                      parts["capacity"], result)


def preloaded(inventory_path: str | Path) -> Assessment | None:
    """The assessment the report preloaded for this inventory, or None."""
    return _PRELOADED.get(_key(inventory_path))


def open(inventory_path: str | Path) -> Assessment:  # noqa: A001 - reads like inventory.load
    """The assessment of ``inventory_path``: the report's preloaded one, else loaded and analysed now."""
    found = preloaded(inventory_path)
    if found is not None:
        return found
    from .inventory import load

    return assess(load(inventory_path), inventory_path)


def open_inventory(inventory_path: str | Path):
    """The inventory of ``inventory_path``: the preloaded one, else loaded (no analysis run)."""
    found = preloaded(inventory_path)
    if found is not None:
        return found.inventory
    from .inventory import load

    return load(inventory_path)


def save(assessment: Assessment, path: str | Path) -> None:
    """Pickle an assessment for :func:`preload` (a temporary file of the report, never a deliverable)."""
    with Path(path).open("wb") as f:
        pickle.dump(assessment, f, protocol=pickle.HIGHEST_PROTOCOL)


def preload(path: str | Path) -> Assessment:
    """Load a pickle written by :func:`save` so that :func:`open` returns it (forgets any other)."""
    with Path(path).open("rb") as f:
        assessment = pickle.load(f)  # noqa: S301 - written by this report run, in its own temporary folder
    if not isinstance(assessment, Assessment):
        raise TypeError(f"{path} does not hold an Assessment")
    forget()
    _PRELOADED[assessment.inventory_path] = assessment
    return assessment


def forget() -> None:
    """Drop the preloaded assessment: :func:`open` analyses again."""
    _PRELOADED.clear()
