"""JSON exports (AWS CLI, restic, Borg, kubectl, Terraform) read with errors that name file and record.

CLI output is often paginated into several documents written one after the other
(``aws backup list-backup-jobs`` run per page and appended): :func:`json_documents` reads
every document of a file, so concatenated pages need no editing.
"""

from __future__ import annotations

import json
import os
from typing import Any

from .sources import ImportSourceError, _read_text

__all__ = ["Record", "as_list", "as_object", "json_documents"]


def json_documents(path: str | os.PathLike) -> list[Any]:
    """Every JSON document of a file (one, or several concatenated / one per line).

    Raises
    ------
    ImportSourceError
        Unreadable file, empty file, or invalid JSON (with line and column).
    """
    name = os.fspath(path)
    text = _read_text(path)
    if text.startswith("\ufeff"):
        text = text[1:]
    decoder = json.JSONDecoder()
    docs: list[Any] = []
    pos = 0
    while True:
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        if pos >= len(text):
            break
        try:
            doc, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise ImportSourceError(
                f"{name}: document {len(docs) + 1}: line {exc.lineno}, column {exc.colno}: invalid JSON ({exc.msg})"
            ) from None
        docs.append(doc)
    if not docs:
        raise ImportSourceError(f"{name}: empty file, expected JSON output")
    return docs


class Record:
    """One object of a JSON listing: its data and where it is (``file: BackupJobs[2]``)."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, dict):
            raise ImportSourceError(f"{where}: is a {type(data).__name__}, expected an object")
        self.data = data
        self.where = where

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def require(self, key: str, expected: str = "a value") -> Any:
        """The value of ``key``, or an ImportSourceError naming the record and the field."""
        value = self.data.get(key)
        if value is None or value == "":
            raise ImportSourceError(f"{self.where}: missing required field '{key}' (expected {expected})")
        return value

    def text(self, key: str, expected: str = "a text value") -> str:
        value = self.require(key, expected)
        if not isinstance(value, str):
            raise ImportSourceError(f"{self.where}: field '{key}': value '{value}' - expected {expected}")
        return value


def as_list(value: Any, where: str, field: str) -> list:
    """``value`` when it is a list, [] when absent, else an ImportSourceError naming the field."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise ImportSourceError(f"{where}: field '{field}': is a {type(value).__name__}, expected a list")
    return value


def as_object(value: Any, where: str, field: str) -> dict:
    """``value`` when it is an object, {} when absent, else an ImportSourceError naming the field."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ImportSourceError(f"{where}: field '{field}': is a {type(value).__name__}, expected an object")
    return value
