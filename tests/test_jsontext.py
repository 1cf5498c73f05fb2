"""The fast analysis-JSON writer gives the standard library's indented bytes exactly."""

from __future__ import annotations

import json
import math
import random
from collections import OrderedDict, namedtuple
from pathlib import Path

import numpy as np
from hiddenspof import analysis, inventory, jsontext

DATA = Path(__file__).resolve().parents[1] / "data"


def _stdlib(value) -> str:
    return json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)


def _random_value(rng: random.Random, depth: int = 0):
    pick = rng.random()
    if depth < 4 and pick < 0.25:
        return {rng.choice(["a", "b", "Zeta", "é", "k\"q", "", "10", "9"]) + str(rng.randint(0, 3)): _random_value(rng, depth + 1)
                for _ in range(rng.randint(0, 5))}
    if depth < 4 and pick < 0.5:
        return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 5))]
    return rng.choice([
        None, True, False, 0, -3, 10**20, 0.0, 1e-06, 1.5e16, -2.25, 1 / 3, "", "plain", "tab\tand\nnewline",
        "ünïcode ✓", "quote \" back\\slash", "\u2028", "\x00",
    ])


def test_random_nested_values_give_the_stdlib_bytes():
    """Random nested dicts/lists of awkward strings and numbers: the same text as json.dumps(indent=2)."""
    rng = random.Random(26)
    for _ in range(3000):
        value = _random_value(rng)
        assert jsontext.dumps_indented(value) == _stdlib(value)


def test_the_teaching_analysis_gives_the_stdlib_bytes():
    """analysis.dumps of the teaching sample is json.dumps of its cleaned result, byte for byte."""
    result = analysis.analyze(inventory.load(DATA / "teaching.yaml"))
    assert analysis.dumps(result) == _stdlib(analysis._clean(result)) + "\n"


def test_streamed_writing_gives_the_bytes_of_dumps(tmp_path):
    """write_clean to a file in small pieces (flushed every few characters) is dumps_clean, byte for byte; and
    analysis.write of the teaching sample is analysis.dumps."""
    import io

    rng = random.Random(8)
    for limit in (1, 7, 100, 1 << 22):
        for _ in range(300):
            value = _raw_value(rng)
            buf = io.StringIO()
            jsontext.write_clean(value, 6, buf, limit=limit)
            assert buf.getvalue() == jsontext.dumps_clean(value, 6)
    result = analysis.analyze(inventory.load(DATA / "teaching.yaml"))
    with open(tmp_path / "a.json", "w", encoding="utf-8", newline="") as f:
        analysis.write(result, f)
    assert (tmp_path / "a.json").read_bytes() == analysis.dumps(result).encode("utf-8")


def test_streamed_writing_holds_a_piece_not_the_text():
    """What the sink holds before it writes out stays near its limit: the whole text is never joined."""
    held = []

    class Recorder:
        def write(self, text):
            held.append(len(text))

    value = {"groups": [{"name": f"g{i}", "rows": [[j, "x" * 20] for j in range(20)], "size": i / 3}
                        for i in range(2000)]}
    total = len(jsontext.dumps_clean(value, 6))
    jsontext.write_clean(value, 6, Recorder(), limit=1000)
    assert sum(held) == total > 1_000_000
    assert max(held) < 3000  # the limit plus at most one piece (a group's rows), never the text


def test_clean_rounds_floats_and_normalises_types():
    """clean rounds floats to the digits, maps nan/inf to None, numpy scalars to plain numbers, keys to str."""
    raw = {1: (np.float64(0.1234567891), np.int64(7), -0.0000001, math.nan, math.inf, True, "s"), "x": [np.float32(2.5)]}
    assert jsontext.clean(raw, 6) == {"1": [0.123457, 7, 0.0, None, None, True, "s"], "x": [2.5]}
    assert type(jsontext.clean(np.int64(7), 6)) is int


_Row = namedtuple("_Row", "left right")


def _raw_value(rng: random.Random, depth: int = 0):
    """Values as the analysis holds them before cleaning: tuples, int keys, numpy and unrounded floats, nan."""
    pick = rng.random()
    if depth < 4 and pick < 0.2:
        return {rng.choice(["a", "b", 1, 2, "1", "é", (1, 2)]): _raw_value(rng, depth + 1) for _ in range(rng.randint(0, 5))}
    if depth < 4 and pick < 0.35:
        return [_raw_value(rng, depth + 1) for _ in range(rng.randint(0, 5))]
    if depth < 4 and pick < 0.45:
        return tuple(_raw_value(rng, depth + 1) for _ in range(rng.randint(0, 4)))
    if depth < 4 and pick < 0.5:  # subclasses: clean makes them a plain dict and list
        if rng.random() < 0.5:
            return OrderedDict((rng.choice(["x", "y", 3]), _raw_value(rng, depth + 1)) for _ in range(rng.randint(0, 3)))
        return _Row(_raw_value(rng, depth + 1), _raw_value(rng, depth + 1))
    return rng.choice([
        None, True, False, 0, -3, 10**20, 0.0, -0.0, 1e-7, 1 / 3, 2.0000004999, math.nan, math.inf, np.float64(0.1234567),
        np.int64(7), np.float32(2.5), "", "plain", "ünïcode ✓", "\x00",
    ])


def test_writing_while_cleaning_gives_the_bytes_of_cleaning_then_writing():
    """dumps_clean(v) is dumps_indented(clean(v)) on random raw values (so analysis.dumps is unchanged)."""
    rng = random.Random(2026)
    for _ in range(3000):
        value = _raw_value(rng)
        assert jsontext.dumps_clean(value, 6) == jsontext.dumps_indented(jsontext.clean(value, 6)) == _stdlib(
            jsontext.clean(value, 6))
