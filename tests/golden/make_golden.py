"""Regenerate (or check) the digests of the golden analysis JSON files.

The golden files are the analysis JSON (``hiddenspof.analysis.dumps``) of the
committed samples and of synthetic estates up to 2,000 components, stored as
sha256 digests in ``tests/golden/analysis.sha256.json`` so the repository stays
small. They pin the bytes so that a speed-up that should change nothing (a
faster loader, a columnar rewrite, a faster JSON encoder) is shown to change
nothing. A change that is MEANT to change results (a new finding, a new field)
refreshes them deliberately::

    make golden                                   # rewrite the digests
    .venv/bin/python tests/golden/make_golden.py --check   # compare only
    .venv/bin/python tests/golden/make_golden.py --write-json DIR  # keep the JSON too

The synthetic estates are written by ``hiddenspof.synth`` (seed 0) into a
temporary directory; the same seed writes the same estate.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "lib"))

DIGESTS = Path(__file__).with_name("analysis.sha256.json")
SAMPLES = ("teaching.yaml", "saas-single-cloud.xlsx", "hybrid-enterprise")
SYNTH_SIZES = (200, 2000)


def cases() -> list[str]:
    """The names of the golden cases: the samples, then ``synth-N`` per size."""
    return [*SAMPLES, *(f"synth-{n}" for n in SYNTH_SIZES)]


def analysis_text(case: str, workdir: Path) -> str:
    """The analysis JSON text of one golden case."""
    from hiddenspof import analysis, inventory, synth

    if case.startswith("synth-"):
        size = int(case.split("-", 1)[1])
        path = workdir / case
        if not path.exists():
            synth.write_estate(str(path), size, 0)
    else:
        path = ROOT / "data" / case
    return analysis.dumps(analysis.analyze(inventory.load(path)))


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="compare with the stored digests, write nothing")
    ap.add_argument("--only", nargs="*", help="only these cases")
    ap.add_argument("--write-json", metavar="DIR", help="also write each case's JSON into DIR")
    args = ap.parse_args(argv)
    stored = json.loads(DIGESTS.read_text()) if DIGESTS.exists() else {}
    new = dict(stored)
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        for case in args.only or cases():
            text = analysis_text(case, Path(tmp))
            if args.write_json:
                out = Path(args.write_json)
                out.mkdir(parents=True, exist_ok=True)
                (out / f"{case}.json").write_text(text, encoding="utf-8")
            d = digest(text)
            same = stored.get(case) == d
            bad += not same
            print(f"{case}: {d} {'same' if same else 'CHANGED'}")
            new[case] = d
    if args.check:
        return 1 if bad else 0
    DIGESTS.write_text(json.dumps(new, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
