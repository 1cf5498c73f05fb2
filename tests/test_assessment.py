"""Analyse once per environment: the cached path gives the same JSON, notebooks and report as analysing anew."""

from __future__ import annotations

import pytest
from conftest import SAMPLES
from hiddenspof import analysis, assessment, documents, inventory, report


@pytest.fixture(autouse=True)
def _nothing_preloaded():
    assessment.forget()
    yield
    assessment.forget()


def test_assess_gives_the_analysis_json_byte_for_byte():
    """assessment.assess keeps the parts but its result is exactly analysis.analyze's."""
    path = SAMPLES["teaching"]
    inv = inventory.load(path)
    assessed = assessment.assess(inv, path)
    assert analysis.dumps(assessed.result) == analysis.dumps(analysis.analyze(inventory.load(path)))
    assert assessed.inventory_path == str(path.resolve())
    assert sorted(assessed.model.assets) == sorted(a["id"] for a in assessed.result["assets"])


def test_preload_is_what_open_returns_and_survives_a_pickle_round_trip(tmp_path):
    """A preloaded assessment is returned for its inventory only; forget() makes open() analyse again."""
    path = SAMPLES["teaching"]
    assessed = assessment.assess(inventory.load(path), path)
    cache = tmp_path / "a.pickle"
    assessment.save(assessed, cache)
    loaded = assessment.preload(cache)
    assert analysis.dumps(loaded.result) == analysis.dumps(assessed.result)
    assert assessment.open(str(path)) is loaded
    assert assessment.open_inventory(path) is loaded.inventory
    other = SAMPLES["saas-single-cloud"]
    assert assessment.preloaded(other) is None
    assert assessment.open(other).inventory_path == str(other.resolve())
    assessment.forget()
    fresh = assessment.open(path)
    assert fresh is not loaded
    assert analysis.dumps(fresh.result) == analysis.dumps(assessed.result)


def test_compare_reads_the_preloaded_analysis_instead_of_analysing_again(tmp_path, monkeypatch):
    """06_compare's load_assessment of the report's inventory uses the preloaded analysis: same JSON, no re-run."""
    from hiddenspof import compare

    path = SAMPLES["teaching"]
    expected = compare.load_assessment(path)
    cache = tmp_path / "a.pickle"
    assessment.save(assessment.assess(inventory.load(path), path), cache)
    assessment.preload(cache)

    def no_analysis(*args, **kwargs):
        raise AssertionError("analysed again")

    monkeypatch.setattr(analysis, "analyze", no_analysis)
    assert compare.load_assessment(path) == expected
    with pytest.raises(AssertionError, match="analysed again"):
        compare.load_assessment(SAMPLES["saas-single-cloud"])


def test_preload_refuses_a_pickle_of_something_else(tmp_path):
    import pickle

    bad = tmp_path / "bad.pickle"
    bad.write_bytes(pickle.dumps({"not": "an assessment"}))
    with pytest.raises(TypeError, match="does not hold an Assessment"):
        assessment.preload(bad)


@pytest.mark.slow
def test_shared_kernel_and_cache_render_what_fresh_kernels_render(tmp_path):
    """Two environments rendered in a row in one reused kernel, reading the cached analysis, give the
    same executed notebooks (byte for byte), the same analysis.json and the same report.html as every
    notebook run in a new kernel that analyses the inventory itself."""
    paths = [SAMPLES["teaching"], SAMPLES["saas-single-cloud"]]
    out = tmp_path / "cached"
    assert report.render(paths, out, jobs=1, progress=False) == 0
    notebooks = report.notebook_list()
    jobs, failed = report._plan(paths, out, notebooks, None)
    assert not failed and len(jobs) == 2
    for job in jobs:
        folder = out / job.slug
        fresh_dir = tmp_path / f"fresh-{job.slug}"
        fresh_dir.mkdir()
        assert assessment.preloaded(job.inventory_path) is None
        executed = [report._execute(job, nb, fresh_dir) for nb in notebooks]  # new kernel each, no cache
        for nb in notebooks:
            assert (folder / nb.name).read_text() == (fresh_dir / nb.name).read_text(), (job.slug, nb.name)
        expected = analysis.dumps(analysis.analyze(inventory.load(job.inventory_path)))
        assert (folder / "analysis.json").read_text() == expected
        inv = inventory.load(job.inventory_path)
        subtitle = [f"Assessment as of {inv.meta.as_of.isoformat()}"]
        if inv.meta.organisation:
            subtitle.insert(0, str(inv.meta.organisation))
        client = inv.meta.organisation or None
        header = documents.running_header(inv.meta.name, inv.meta.as_of.isoformat(), client)
        html = report._export_html(executed, f"{inv.meta.name}: resilience assessment", subtitle, header)
        assert (folder / "report.html").read_text() == html
        assert not any(p.name.endswith(".pickle") for p in folder.iterdir())
