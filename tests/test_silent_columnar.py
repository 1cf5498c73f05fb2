"""The columnar silent-failure scoring equals its slow references, on random histories and estates."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hiddenspof import history, silent
from silent_oracle import recovery_points_frame

AS_OF = dt.date(2026, 9, 30)


def _plain(value):
    """A cell comparable across implementations: NaN/NaT/None as None, timestamps as nanosecond stamps."""
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, (pd.Timestamp, np.datetime64)):
        return pd.Timestamp(value).as_unit("ns").value
    if isinstance(value, (float, np.floating)):
        return float(value)
    return value


def _rows(frame: pd.DataFrame) -> dict:
    return {k: {c: _plain(v) for c, v in row.items()} for k, row in frame.to_dict("index").items()}


def random_history(seed: int):
    """Runs of up to 30 backups over up to 8 assets: ties of start times across backups, runs without a finish,
    long fulls finishing a day and a half later, backups added late, some without an owner, mixed retention."""
    rng = np.random.default_rng(seed)
    nb = int(rng.integers(1, 30))
    n = int(rng.integers(0, 1500))
    ids = [f"b{i:02d}" for i in range(nb)]
    runs = pd.DataFrame({
        "backup": rng.choice(ids, n).astype(object),
        # whole hours over 120 days: many equal starts, within and across backups
        "started_at": pd.Timestamp("2026-06-01") + pd.to_timedelta(rng.integers(0, 125 * 24, n), unit="h"),
        "status": rng.choice(["success", "success", "warning", "failed"], n).astype(object),
    })
    late = [b for b in ids if rng.random() < 0.2]
    runs = runs[~(runs["backup"].isin(late) & (runs["started_at"] < pd.Timestamp("2026-08-15")))]
    runs["finished_at"] = runs["started_at"] + pd.to_timedelta(rng.choice([1.0, 1.0, 2.0, 36.0], len(runs)), unit="h")
    runs.loc[rng.random(len(runs)) < 0.05, "finished_at"] = pd.NaT
    runs["size_gb"] = 1.0
    runs = runs.sample(frac=1.0, random_state=seed).reset_index(drop=True)  # file order is not time order
    nassets = int(rng.integers(1, 9))
    protects = {b: f"a{int(rng.integers(0, nassets))}" for b in ids if rng.random() < 0.9}
    retention = {b: float(rng.choice([20.0, 45.0, 90.0])) for b in ids if rng.random() < 0.7}
    schedule = {b: float(rng.choice([6.0, 24.0, 48.0])) for b in ids if rng.random() < 0.5}
    return runs, protects, retention, schedule


@pytest.mark.parametrize("seed", range(40))
def test_recovery_points_equal_the_pandas_reference(seed):
    """Every column of every asset, the worst window's tie-breaks and the late runs included."""
    runs, protects, retention, schedule = random_history(seed)
    want = recovery_points_frame(runs, AS_OF, protects, schedule_hours=schedule, retention_days=retention)
    got = silent.recovery_points(runs, AS_OF, protects, schedule_hours=schedule, retention_days=retention)
    assert list(got.columns) == list(want.columns)
    assert list(got.index) == list(want.index)
    assert _rows(got) == _rows(want)
    # the same with the runs prepared once and the spans handed in (as silent.score does)
    prep = silent._prepare_runs(runs, silent._cutoff(AS_OF))
    span = history.spans(prep, AS_OF, schedule, retention)
    again = silent.recovery_points(prep, AS_OF, protects, prepared=True, schedule_hours=schedule,
                                   retention_days=retention, spans=span)
    assert _rows(again) == _rows(want)
