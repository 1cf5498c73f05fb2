"""Reading import sources (YAML documents, CSV exports) with errors that name file and document."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from hiddenspof.errors import HiddenspofError

__all__ = ["Document", "ImportSourceError", "csv_rows", "label", "yaml_documents"]


class ImportSourceError(HiddenspofError):
    """Raised when an import source cannot be read or lacks what the mapping needs."""


@dataclass(frozen=True)
class Document:
    """One YAML document of a source file: its mapping, file and 1-based index."""

    data: dict
    file: str
    index: int
    line: int

    def where(self) -> str:
        """``file: document N (line L)`` for messages."""
        return f"{self.file}: document {self.index} (line {self.line})"

    def require(self, *path: str) -> Any:
        """The value at ``path`` (keys), or an ImportSourceError naming file, document and field."""
        node: Any = self.data
        for i, key in enumerate(path):
            if not isinstance(node, dict) or node.get(key) in (None, ""):
                field = ".".join(path[: i + 1])
                raise ImportSourceError(
                    f"{self.where()}: missing required field '{field}'"
                    f" (expected {describe_expected(path)})"
                )
            node = node[key]
        return node


def describe_expected(path: tuple[str, ...]) -> str:
    """Short words for what a required field should hold."""
    return f"a value for '{'.'.join(path)}'"


def label(path: str | os.PathLike) -> str:
    """The file's base name: what reports and provenance cells show (stable across folders)."""
    return os.path.basename(os.fspath(path))


def _read_text(path: str | os.PathLike) -> str:
    """The file as text: UTF-8, or UTF-16 when it starts with a UTF-16 byte-order mark
    (Windows PowerShell's ``Export-Csv -Encoding Unicode`` and ``Out-File`` write that)."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            return raw.decode("utf-16")
        return raw.decode("utf-8")
    except FileNotFoundError:
        raise ImportSourceError(f"{os.fspath(path)}: no such file") from None
    except IsADirectoryError:
        raise ImportSourceError(f"{os.fspath(path)}: is a folder, expected a file") from None
    except UnicodeDecodeError as exc:
        raise ImportSourceError(
            f"{os.fspath(path)}: not UTF-8 text (byte {exc.start}); expected a text file"
        ) from None
    except OSError as exc:
        raise ImportSourceError(f"{os.fspath(path)}: cannot be read ({exc.strerror})") from None


def yaml_documents(path: str | os.PathLike, *, allow_empty: bool = True) -> list[Document]:
    """Every non-empty document of a (multi-document) YAML file, each checked to be a mapping.

    Raises
    ------
    ImportSourceError
        On unreadable files, YAML syntax errors (with the document index and line) and
        documents that are not mappings.
    """
    name = os.fspath(path)
    text = _read_text(path)
    docs: list[Document] = []
    index = 0
    try:
        loader = yaml.SafeLoader(text)
        try:
            while loader.check_node():
                index += 1
                node = loader.get_node()
                line = node.start_mark.line + 1 if node is not None else 1
                data = loader.construct_document(node) if node is not None else None
                if data is None:
                    continue
                if not isinstance(data, dict):
                    raise ImportSourceError(
                        f"{name}: document {index} (line {line}): is a {type(data).__name__},"
                        " expected a mapping"
                    )
                docs.append(Document(data, name, index, line))
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ImportSourceError(
            f"{name}: document {max(index, 1)}:{where}: invalid YAML ({problem})"
        ) from None
    if not docs and not allow_empty:
        raise ImportSourceError(f"{name}: no YAML document found, expected at least one mapping")
    return docs


def csv_rows(path: str | os.PathLike) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    """Header (lower-cased, stripped) and ``(row number as a person counts, row)`` pairs."""
    name = os.fspath(path)
    text = _read_text(path)
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise ImportSourceError(f"{name}: not a readable CSV file ({exc})") from None
    if not rows:
        raise ImportSourceError(f"{name}: empty file, expected a CSV header row")
    header = [h.strip().lower() for h in rows[0]]

    def gen() -> Iterator[tuple[int, dict[str, str]]]:
        for number, raw in enumerate(rows[1:], start=2):
            if not any(cell.strip() for cell in raw):
                continue
            yield number, {h: (raw[i].strip() if i < len(raw) else "") for i, h in enumerate(header)}

    return header, gen()
