"""Exceptions of hiddenspof: one base class, narrow subclasses, problems as data."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["HiddenspofError", "InventoryError", "Problem", "UsageError"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or doubtful) in an input, located precisely.

    ``row`` counts as a person does in a spreadsheet (the header is row 1);
    for a YAML file it is the line where the entry starts. ``severity`` is
    ``"error"`` or ``"warning"``.
    """

    file: str
    row: int | None
    column: str | None
    value: str | None
    expected: str
    sheet: str | None = None
    severity: str = "error"

    def location(self) -> str:
        """``file[sheet]:row`` as far as known."""
        loc = self.file
        if self.sheet:
            loc += f"[{self.sheet}]"
        if self.row is not None:
            loc += f":{self.row}"
        return loc

    def __str__(self) -> str:
        parts = [self.location() + ":"]
        if self.severity == "warning":
            parts.append("warning:")
        if self.column is not None:
            parts.append(f"column '{self.column}':")
        if self.value is not None:
            parts.append(f"value '{self.value}' -")
        parts.append(f"expected {self.expected}")
        return " ".join(parts)


class HiddenspofError(Exception):
    """Raised for bad input or a failed run: the message is meant for the user, not a traceback."""


class UsageError(HiddenspofError):
    """Raised when a command is called with arguments that cannot work (exit status 2)."""


class InventoryError(HiddenspofError):
    """Raised when an inventory has problems; holds every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        head = f"{len(errors)} problem{'s' if len(errors) != 1 else ''} in the inventory"
        super().__init__(head + ":\n" + "\n".join(str(p) for p in errors))
