"""The analysis JSON as text, fast: the bytes of ``json.dumps(..., sort_keys=True, indent=2)``, written quicker.

Why: with ``indent`` set, the standard library falls back to its pure-Python
encoder (a generator yielding every token), which at 100,000 components
spends more than ten seconds and a gigabyte of strings on the analysis JSON.
Here the containers whose children are all plain values (most of them: a
finding, a backup, a component) are written by the standard library's C
encoder in one call, its item separator carrying the newline and the
indentation of that depth, and only the containers holding other containers
are walked in Python. The text is the same, byte for byte, as
``json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False,
allow_nan=False)`` (``tests/test_jsontext.py`` compares them on the samples
and on random nested values).

:func:`clean` is the value normaliser the analysis JSON applies first (floats
rounded, tuples as lists, keys as strings); it dispatches on the exact type so
the common cases cost one comparison.
"""

from __future__ import annotations

import json
import json.encoder as _stdlib
import math
import numbers

__all__ = ["clean", "dumps_clean", "dumps_indented", "write_clean"]

_CONTAINERS = (dict, list)


def clean(value, digits: int):
    """Plain JSON values: floats rounded to ``digits`` (-0.0 as 0.0, non-finite as null), tuples as lists.

    Dict keys become strings, integers (numpy's too) plain ints, anything
    else that is not a number its ``str``.
    """
    t = type(value)
    if t is str or t is bool or value is None or t is int:
        return value
    if t is float:
        if not math.isfinite(value):
            return None
        x = round(value, digits)
        return 0.0 if x == 0 else x
    if t is dict:
        return {str(k): clean(v, digits) for k, v in value.items()}
    if t is list or t is tuple:
        return [clean(v, digits) for v in value]
    return _clean_other(value, digits)


def _clean_other(value, digits: int):
    """``clean`` for every type not dispatched on exactly (subclasses, numpy scalars, dates)."""
    if isinstance(value, bool) or isinstance(value, str):
        return value
    if isinstance(value, dict):
        return {str(k): clean(v, digits) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v, digits) for v in value]
    if isinstance(value, numbers.Integral):
        return int(value)
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(x):
        return None
    x = round(x, digits)
    return 0.0 if x == 0 else x


def _shape(value):
    """What :func:`clean` makes of ``value``: ``dict``, ``list``, or None for a plain value (never a container)."""
    t = type(value)
    if t is str or t is float or t is int or t is bool or value is None:
        return None
    if t is dict:
        return dict
    if t is list or t is tuple:
        return list
    if isinstance(value, (bool, str)):
        return None
    if isinstance(value, dict):
        return dict
    if isinstance(value, (list, tuple)):
        return list
    return None


_SIMPLE = frozenset({str, int, bool, type(None)})  # what clean returns as it is
_SCALARS = _SIMPLE | {float}
_CONTAINER_TYPES = frozenset({dict, list, tuple})


def _clean_float(x: float, digits: int):
    """:func:`clean` of a float."""
    if not math.isfinite(x):
        return None
    x = round(x, digits)
    return 0.0 if x == 0 else x


def _clean_plain(container, digits: int):
    """``clean(container)`` when ``container`` (a dict with str keys, a list or a tuple) holds no container, else None.

    A container of str, int, bool and None is its own clean form (a tuple
    becomes a list); floats are rounded in a copy.
    """
    if type(container) is not dict and type(container) is not list:
        container = list(container)  # a tuple (or a subclass of list or tuple): clean makes it a list
    values = container.values() if type(container) is dict else container
    types = set(map(type, values))
    if types <= _SIMPLE:
        return container
    if types <= _SCALARS:
        if type(container) is dict:
            return {k: (_clean_float(x, digits) if type(x) is float else x) for k, x in container.items()}
        return [_clean_float(x, digits) if type(x) is float else x for x in container]
    if any(_shape(x) is not None for x in values):
        return None
    if type(container) is dict:
        return {k: clean(x, digits) for k, x in container.items()}
    return [clean(x, digits) for x in container]


def _keyed(value) -> dict:
    """A dict's items under the keys :func:`clean` gives them (``str``; a later equal key wins, as there)."""
    if type(value) is not dict:
        return {str(k): v for k, v in value.items()}
    for k in value:
        if type(k) is not str:
            return {str(k): v for k, v in value.items()}
    return value


def _plain(container) -> bool:
    """Whether a dict or list holds no dict or list."""
    values = container.values() if type(container) is dict else container
    return not any(type(x) in _CONTAINERS for x in values)


class _Writer:
    """Writes cleaned values (plain dicts, lists, strings, numbers, booleans, None) as indented JSON."""

    def __init__(self, indent: int = 2):
        self.step = " " * indent
        self.indents: list[str] = [""]
        self.leaf: list = []  # per depth: a callable writing an all-plain container at that depth
        self._marked = None  # the C encoder separating items with \x01 (see _leaves)

    def _pad(self, depth: int) -> str:
        while len(self.indents) <= depth:
            self.indents.append(self.step * len(self.indents))
        return self.indents[depth]

    def _leaf(self, depth: int):
        while len(self.leaf) <= depth:
            sep = ",\n" + self._pad(len(self.leaf) + 1)
            if _stdlib.c_make_encoder is not None:
                enc = _stdlib.c_make_encoder(None, None, _stdlib.c_encode_basestring, None, ": ", sep,
                                             True, False, False)
                self.leaf.append(lambda o, _enc=enc: "".join(_enc(o, 0)))
            else:  # no C accelerator: the standard encoder, still one call per container
                self.leaf.append(json.JSONEncoder(sort_keys=True, ensure_ascii=False, allow_nan=False,
                                                  separators=(sep, ": ")).encode)
        return self.leaf[depth]

    def _leaves(self, v: list, depth: int) -> str:
        """A list (at ``depth``) of containers of plain values, with one call of the C encoder.

        The encoder separates items with ``\\x01``, a character that never
        appears raw in its output otherwise (it escapes every control
        character in strings). Between two children it follows a closing
        bracket and precedes an opening one, which nothing inside a child
        does (a value never ends with a bracket, a key starts with a quote),
        so the children can be told apart and each indented one level deeper.
        """
        if self._marked is None:
            self._marked = _stdlib.c_make_encoder(None, None, _stdlib.c_encode_basestring, None, ": ", "\x01",
                                                  True, False, False)
        text = "".join(self._marked(v, 0))[1:-1]
        for a in "}]":
            for b in "{[":
                text = text.replace(a + "\x01" + b, a + "\x02" + b)
        pad, inner = self._pad(depth + 1), ",\n" + self._pad(depth + 2)
        head, tail = "\n" + self._pad(depth + 2), "\n" + pad
        parts = []
        for child in text.split("\x02"):
            if len(child) == 2:  # {} or []
                parts.append(child)
            else:
                parts.append(child[0] + head + child[1:-1].replace("\x01", inner) + tail + child[-1])
        return "[\n" + pad + (",\n" + pad).join(parts) + "\n" + self._pad(depth) + "]"

    def write_clean(self, v, depth: int, out: list[str], digits: int) -> None:
        """``write(clean(v, digits), ...)`` without making the cleaned copy of the whole value first.

        Only the containers of plain values (what the C encoder writes in one
        call) are cleaned as they are written, and not even copied when they
        hold no float to round; the rest is walked as it stands.
        """
        shape = _shape(v)
        if shape is None:
            out.append(self.scalar(clean(v, digits)))
            return
        if shape is dict:
            items = _keyed(v)
            if not items:
                out.append("{}")
                return
            leaf = _clean_plain(items, digits)
            if leaf is not None:
                text = self._leaf(depth)(leaf)
                out.append("{\n" + self._pad(depth + 1) + text[1:-1] + "\n" + self._pad(depth) + "}")
                return
            inner, sep = self._pad(depth + 1), ",\n" + self._pad(depth + 1)
            out.append("{\n" + inner)
            first = True
            for k in sorted(items):
                if not first:
                    out.append(sep)
                first = False
                out.append(_stdlib.encode_basestring(k) + ": ")
                self.write_clean(items[k], depth + 1, out, digits)
            out.append("\n" + self._pad(depth) + "}")
            return
        if not v:
            out.append("[]")
            return
        leaf = _clean_plain(v, digits)
        if leaf is not None:
            text = self._leaf(depth)(leaf)
            out.append("[\n" + self._pad(depth + 1) + text[1:-1] + "\n" + self._pad(depth) + "]")
            return
        if _stdlib.c_make_encoder is not None and set(map(type, v)) <= _CONTAINER_TYPES:
            children = []
            for c in v:
                cleaned = _clean_plain(_keyed(c) if type(c) is dict else c, digits)
                if cleaned is None:
                    break
                children.append(cleaned)
            else:  # every item a container of plain values: one call of the C encoder (see _leaves)
                out.append(self._leaves(children, depth))
                return
        inner, sep = self._pad(depth + 1), ",\n" + self._pad(depth + 1)
        out.append("[\n" + inner)
        first = True
        for x in v:
            if not first:
                out.append(sep)
            first = False
            self.write_clean(x, depth + 1, out, digits)
        out.append("\n" + self._pad(depth) + "]")

    def scalar(self, v) -> str:
        t = type(v)
        if t is str:
            return _stdlib.encode_basestring(v)
        if v is None:
            return "null"
        if v is True:
            return "true"
        if v is False:
            return "false"
        if t is int:
            return int.__repr__(v)
        if t is float:
            return float.__repr__(v)
        return json.dumps(v, ensure_ascii=False, allow_nan=False)

    def write(self, v, depth: int, out: list[str]) -> None:
        t = type(v)
        if t is dict:
            if not v:
                out.append("{}")
                return
            if not any(type(x) in _CONTAINERS for x in v.values()):
                text = self._leaf(depth)(v)
                out.append("{\n" + self._pad(depth + 1) + text[1:-1] + "\n" + self._pad(depth) + "}")
                return
            inner, sep = self._pad(depth + 1), ",\n" + self._pad(depth + 1)
            out.append("{\n" + inner)
            first = True
            for k in sorted(v):
                if not first:
                    out.append(sep)
                first = False
                out.append(_stdlib.encode_basestring(k) + ": ")
                self.write(v[k], depth + 1, out)
            out.append("\n" + self._pad(depth) + "}")
        elif t is list:
            if not v:
                out.append("[]")
                return
            if not any(type(x) in _CONTAINERS for x in v):
                text = self._leaf(depth)(v)
                out.append("[\n" + self._pad(depth + 1) + text[1:-1] + "\n" + self._pad(depth) + "]")
                return
            if _stdlib.c_make_encoder is not None and all(type(x) in _CONTAINERS and _plain(x) for x in v):
                out.append(self._leaves(v, depth))
                return
            inner, sep = self._pad(depth + 1), ",\n" + self._pad(depth + 1)
            out.append("[\n" + inner)
            first = True
            for x in v:
                if not first:
                    out.append(sep)
                first = False
                self.write(x, depth + 1, out)
            out.append("\n" + self._pad(depth) + "]")
        else:
            out.append(self.scalar(v))


def dumps_indented(value) -> str:
    """``json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)``, faster.

    ``value`` must already be plain (see :func:`clean`): dicts with string
    keys, lists, strings, ints, finite floats, booleans and None.
    """
    out: list[str] = []
    _Writer().write(value, 0, out)
    return "".join(out)


def dumps_clean(value, digits: int) -> str:
    """``dumps_indented(clean(value, digits))``, without holding a cleaned copy of the whole value.

    The analysis JSON is cleaned and written in one walk: only the small
    containers the C encoder writes at once are copied, so the peak memory
    is the text, not the text plus a second copy of the result.
    """
    out: list[str] = []
    _Writer().write_clean(value, 0, out, digits)
    return "".join(out)


class _Sink:
    """What the writer appends its pieces to when the text goes to a file: every ``limit`` characters the
    pieces so far are written out and let go, so the whole text is never held (at 20,000 components the
    analysis JSON is 650 MB, and its text and then its encoded bytes were two such copies at once)."""

    __slots__ = ("_write", "_parts", "_size", "_limit")

    def __init__(self, write, limit: int) -> None:
        self._write, self._parts, self._size, self._limit = write, [], 0, limit

    def append(self, piece: str) -> None:
        self._parts.append(piece)
        self._size += len(piece)
        if self._size >= self._limit:
            self.flush()

    def flush(self) -> None:
        if self._parts:
            self._write("".join(self._parts))
            self._parts, self._size = [], 0


def write_clean(value, digits: int, file, limit: int = 1 << 22) -> None:
    """Write ``dumps_clean(value, digits)`` to the text file ``file`` piece by piece (about ``limit``
    characters at a time), never holding the whole text."""
    sink = _Sink(file.write, limit)
    _Writer().write_clean(value, 0, sink, digits)
    sink.flush()
