"""Report rendering: end to end on small and sample estates, offline HTML, escaping, failures, repeatability, Dask."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from urllib.parse import urlparse

import hypothesis.strategies as st
import lxml.html
import nbformat
import pytest
from conftest import NOTEBOOKS, SAMPLES
from hiddenspof import analysis, inventory, report
from hiddenspof.charts import chart_html, json_for_script
from hiddenspof.errors import UsageError
from hypothesis import given, settings

HOSTILE = "<script>alert(1)</script>"
CLOSER = "</script>"

HOSTILE_YAML = f"""\
name: "Acme {HOSTILE} production"
as_of: 2026-09-30
organisation: "Acme & Sons"
components:
  - {{id: shop, name: "{HOSTILE}", kind: service, tier: 1, rto_hours: 4, rpo_hours: 1, data_gb: 5, notes: "{CLOSER}<b>x</b>"}}
  - {{id: orders-db, name: "orders {CLOSER} db", kind: datastore, tier: 1, rto_hours: 4, rpo_hours: 1, data_gb: 200}}
  - {{id: site-a, kind: site}}
  - {{id: site-b, kind: site}}
  - {{id: acct-prod, kind: account}}
  - {{id: vault, kind: backup_store, throughput_mb_s: 200}}
  - {{id: tape-shelf, kind: backup_store}}
  - {{id: admin-creds, kind: credentials}}
dependencies:
  - {{component: shop, depends_on: orders-db}}
  - {{component: shop, depends_on: site-a}}
  - {{component: orders-db, depends_on: site-a}}
  - {{component: orders-db, depends_on: acct-prod}}
  - {{component: orders-db, depends_on: admin-creds}}
  - {{component: vault, depends_on: site-a}}
  - {{component: vault, depends_on: acct-prod}}
  - {{component: tape-shelf, depends_on: site-b}}
  - {{component: db-snap, depends_on: vault}}
  - {{component: db-snap, depends_on: admin-creds}}
  - {{component: db-tape, depends_on: tape-shelf}}
  - {{component: shop-image, depends_on: vault}}
backups:
  - {{id: db-snap, protects: orders-db, method: snapshot, schedule_hours: 24, verification: job_status, restore_mb_s: 100}}
  - {{id: db-tape, protects: orders-db, method: tape, schedule_hours: 168, offline: true, verification: restore_test, restore_mb_s: 50}}
  - {{id: shop-image, protects: shop, method: image, schedule_hours: 24, verification: none}}
"""

BROKEN_YAML = """\
name: Broken estate
as_of: 2026-09-30
components:
  - {id: app, kind: spaceship}
dependencies:
  - {component: app, depends_on: nowhere}
backups: []
"""


def write_estates(folder: Path) -> tuple[Path, Path]:
    """The hostile-but-valid estate and a broken one, as YAML files in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    good, bad = folder / "acme.yaml", folder / "broken.yaml"
    good.write_text(HOSTILE_YAML, encoding="utf-8")
    bad.write_text(BROKEN_YAML, encoding="utf-8")
    return good, bad


def present_samples() -> list[Path]:
    """Two sample estates (teaching and the SaaS workbook) that are present in data/."""
    return [p for p in (SAMPLES["teaching"], SAMPLES["saas-single-cloud"]) if p.exists()]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """One render shared by the tests: hostile estate, broken estate, two samples, two processes."""
    base = tmp_path_factory.mktemp("report")
    good, bad = write_estates(base / "in")
    out = base / "out"
    inputs = [good, bad, *present_samples()]
    status = report.render([str(p) for p in inputs], out, jobs=2, progress=False)
    index = (out / "index.html").read_text(encoding="utf-8")
    return {"status": status, "out": out, "good": good, "bad": bad, "index": index, "inputs": inputs}


def env_dirs(out: Path) -> list[Path]:
    """The rendered environment folders (not temporary ones)."""
    return sorted(p for p in out.iterdir() if p.is_dir() and not p.name.startswith("."))


def parse(path: Path):
    """The document tree of an HTML file."""
    return lxml.html.fromstring(path.read_bytes())


def is_offline_reference(value: str) -> bool:
    """True for a relative path, a fragment or a data:/blob: URL: nothing fetched from a network."""
    parsed = urlparse(value.strip())
    if parsed.scheme in ("data", "blob"):
        return True
    return parsed.scheme == "" and parsed.netloc == "" and not value.strip().startswith("//")


# ------------------------------------------------------------ end to end


@pytest.mark.slow
def test_failure_next_to_good_exits_one_and_index_names_it(rendered):
    """A broken inventory beside good ones: exit 1, the good ones rendered, the index says why it failed."""
    assert rendered["status"] == 1
    slugs = [p.name for p in env_dirs(rendered["out"])]
    assert "acme-script-alert-1-script-production" in slugs
    assert "broken" not in slugs
    tree = lxml.html.fromstring(rendered["index"])
    failed = tree.xpath("//table[@class='failed']//tr[td]")
    assert len(failed) == 1
    text = failed[0].text_content()
    assert "invalid inventory" in text and "spaceship" in text and "nowhere" in text
    assert str(rendered["bad"]) in text


@pytest.mark.slow
def test_every_good_environment_has_all_outputs(rendered):
    """Each rendered folder holds report.html, analysis.json, findings.csv, manifest.json and every executed notebook."""
    notebooks = [p.name for p in report.notebook_list(NOTEBOOKS)]
    dirs = env_dirs(rendered["out"])
    assert len(dirs) == len(rendered["inputs"]) - 1
    for d in dirs:
        names = {p.name for p in d.iterdir()}
        assert {"report.html", "analysis.json", "findings.csv", "manifest.json", *notebooks} <= names, d
        result = json.loads((d / "analysis.json").read_text())
        assert result["schema_version"] == 1
        manifest = json.loads((d / "manifest.json").read_text())
        # written as it is made, the bytes of analysis.dumps (what ``hiddenspof analyze --json`` writes)
        inv = inventory.load(manifest["inputs"]["path"])
        assert (d / "analysis.json").read_bytes() == analysis.dumps(analysis.analyze(inv)).encode("utf-8"), d
        assert manifest["environment"]["as_of"] == result["environment"]["as_of"]
        assert [n["name"] for n in manifest["notebooks"]] == notebooks
        assert manifest["parameters"]["interactive"] is False
        assert all(len(f["sha256"]) == 64 for f in manifest["inputs"]["files"])
        assert manifest["duration_seconds"] > 0
        assert "pandas" in manifest["versions"]


@pytest.mark.slow
def test_index_row_per_environment_with_headline_figures(rendered):
    """The index has one row per rendered environment, linking its files, with figures equal to analysis.json."""
    tree = lxml.html.fromstring(rendered["index"])
    rows = {r.get("data-slug"): r for r in tree.xpath("//table[@class='environments']/tbody/tr")}
    columns = [th.get("data-col") for th in tree.xpath("//table[@class='environments']/thead/tr[1]/th")]
    dirs = env_dirs(rendered["out"])
    assert sorted(rows) == [d.name for d in dirs]
    for d in dirs:
        row = rows[d.name]
        links = row.xpath(".//a/@href")
        assert f"{d.name}/report.html" in links and f"{d.name}/findings.csv" in links
        result = json.loads((d / "analysis.json").read_text())
        cells = dict(zip(columns, (c.text_content().strip() for c in row.xpath("td"))))
        assert cells["assets"] == str(len(result["assets"]))
        unrec = sum("unrecoverable" in a["threats"].values() for a in result["assets"])
        assert cells["unrecoverable_assets"] == str(unrec)
    for name in ("index.csv", "index.json"):
        assert (rendered["out"] / name).exists()


@pytest.mark.slow
def test_no_network_reference_in_any_html(rendered):
    """Every src and href in every produced HTML file is relative, a fragment, or data:/blob:."""
    pages = [rendered["out"] / "index.html", *(d / "report.html" for d in env_dirs(rendered["out"]))]
    for page in pages:
        tree = parse(page)
        refs = tree.xpath("//@src | //@href")
        bad = [r for r in refs if not is_offline_reference(r)]
        assert bad == [], (page, bad[:5])
        assert not tree.xpath("//link[@rel='stylesheet']"), page
        for script in tree.xpath("//script[@src]"):
            pytest.fail(f"external script in {page}: {script.get('src')}")


@pytest.mark.slow
def test_report_has_toc_hidden_code_and_offline_charts(rendered):
    """report.html: a table of contents whose links resolve, no code input, every chart a static SVG plus its spec."""
    d = rendered["out"] / "acme-script-alert-1-script-production"
    tree = parse(d / "report.html")
    toc = tree.xpath("//nav[@class='hs-toc']//a/@href")
    ids = set(tree.xpath("//@id"))
    assert len(toc) >= 3 and all(h[1:] in ids for h in toc)
    assert len(ids) == len(tree.xpath("//@id")), "element ids are unique"
    assert not tree.xpath("//*[contains(@class, 'jp-InputArea-editor')]"), "code cells are hidden"
    charts = tree.xpath("//div[@class='hs-chart']")
    assert charts, "the summary draws at least one chart"
    for c in charts:
        assert c.xpath("img[starts-with(@src, 'data:image/svg+xml;base64,')]")
        assert json.loads(c.xpath("script[@class='hs-chart-spec']")[0].text)["$schema"]
    headings = [h.text_content() for h in tree.xpath("//h1[not(@class)]")]
    assert headings[0].startswith("1. Executive summary"), "the report leads with the executive summary"
    assert [h.split(" ", 1)[0] for h in headings] == [f"{i}." for i in range(1, len(headings) + 1)]
    assert len(headings) == len(report.notebook_list(NOTEBOOKS))


@pytest.mark.slow
def test_client_text_is_escaped_everywhere(rendered):
    """Hostile names show as text in the HTML and inside chart specs; no script element comes from client text."""
    d = rendered["out"] / "acme-script-alert-1-script-production"
    raw = (d / "report.html").read_text(encoding="utf-8")
    tree = lxml.html.fromstring(raw)
    scripts = tree.xpath("//script")
    specs = [s for s in scripts if s.get("type") == "application/json"]
    assert len(scripts) - len(specs) == 2, "only the Vega bundle and the chart loader execute"
    assert all("alert(1)" not in (s.text or "") for s in scripts if s.get("type") != "application/json")
    assert HOSTILE in tree.text_content()
    spec_text = "".join(s.text for s in specs)
    assert CLOSER not in spec_text and "\\u003c/script\\u003e" in spec_text
    assert any(HOSTILE in json.dumps(json.loads(s.text)) for s in specs), "the heat map labels carry the name"
    index = lxml.html.fromstring(rendered["index"])
    scripts = index.xpath("//script")  # only the index's own sorter, inline, holding no client text
    assert len(scripts) == 1 and scripts[0].get("src") is None and "alert(1)" not in scripts[0].text
    assert f"Acme {HOSTILE} production" in index.text_content()


@pytest.mark.slow
def test_findings_csv_is_spreadsheet_safe(rendered):
    """findings.csv parses, matches analysis.json's findings, and no cell starts with = + - @."""
    for d in env_dirs(rendered["out"]):
        result = json.loads((d / "analysis.json").read_text())
        rows = list(csv.DictReader((d / "findings.csv").open(encoding="utf-8")))
        assert sorted(r["id"] for r in rows) == sorted(f["id"] for f in result["findings"])
        for row in rows:
            assert not any(v.startswith(("=", "+", "-", "@")) for v in row.values()), row


@pytest.mark.slow
def test_executed_notebooks_carry_no_timestamps(rendered):
    """The executed .ipynb files keep papermill parameters but no start/end times, durations or widget state."""
    d = rendered["out"] / "acme-script-alert-1-script-production"
    for path in sorted(d.glob("*.ipynb")):
        nb = nbformat.read(str(path), as_version=4)
        assert nb.metadata.papermill["parameters"]["interactive"] is False
        assert "widgets" not in nb.metadata
        text = path.read_text()
        for key in ('"start_time"', '"end_time"', '"duration"', '"iopub.execute_input"'):
            assert key not in text, (path.name, key)


@pytest.mark.slow
def test_second_render_is_identical(rendered, tmp_path):
    """Rendering the same inputs again (serially) gives byte-identical analysis.json, report.html and notebooks."""
    good = rendered["good"]
    status = report.render([str(good)], tmp_path / "out", jobs=1, progress=False)
    assert status == 0
    first = rendered["out"] / "acme-script-alert-1-script-production"
    second = tmp_path / "out" / first.name
    for name in ["analysis.json", "report.html", "findings.csv", *(p.name for p in first.glob("*.ipynb"))]:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


@pytest.mark.slow
def test_rerender_replaces_atomically_and_keeps_good_report_on_failure(tmp_path):
    """A failing re-render leaves the previous good report untouched and no temporary folder behind."""
    notebooks = tmp_path / "nbs"
    notebooks.mkdir()
    shutil.copy(NOTEBOOKS / "05_summary.ipynb", notebooks / "05_summary.ipynb")
    good, _ = write_estates(tmp_path / "in")
    out = tmp_path / "out"
    assert report.render([str(good)], out, notebooks_dir=notebooks, progress=False) == 0
    target = env_dirs(out)[0]
    before = (target / "report.html").read_bytes()
    # same environment name, but a notebook that now fails
    broken = nbformat.read(str(notebooks / "05_summary.ipynb"), as_version=4)
    broken.cells.append(nbformat.v4.new_code_cell("raise RuntimeError('planted failure')", id="planted"))
    nbformat.write(broken, str(notebooks / "05_summary.ipynb"))
    assert report.render([str(good)], out, notebooks_dir=notebooks, progress=False) == 1
    assert (target / "report.html").read_bytes() == before
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == [".lock"]  # the run lock stays
    index = (out / "index.html").read_text()
    assert "05_summary.ipynb" in index and "planted failure" in index


@pytest.mark.slow
def test_dask_scheduler_path(tmp_path):
    """Environments submitted to a Dask LocalCluster render like local ones, failures included."""
    distributed = pytest.importorskip("distributed")
    notebooks = tmp_path / "nbs"
    notebooks.mkdir()
    shutil.copy(NOTEBOOKS / "05_summary.ipynb", notebooks / "05_summary.ipynb")
    good, bad = write_estates(tmp_path / "in")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        status = report.render([str(good), str(bad)], tmp_path / "out", scheduler=cluster.scheduler_address,
                               notebooks_dir=notebooks, progress=False)
    assert status == 1
    assert [p.name for p in env_dirs(tmp_path / "out")] == ["acme-script-alert-1-script-production"]
    assert "spaceship" in (tmp_path / "out" / "index.html").read_text()


def test_cli_report_command(tmp_path):
    """`hiddenspof report PATH... --out DIR` maps a failed environment to exit 1 and prints where the index is."""
    from hiddenspof import cli

    good, bad = write_estates(tmp_path / "in")
    status = cli.main(["report", str(bad), "--out", str(tmp_path / "out")])
    assert status == 1
    assert (tmp_path / "out" / "index.html").exists()


# ------------------------------------------------------------ small units (fast)


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Acme Retail – Production (EU)", "acme-retail-production-eu"),
        ("Café Zürich", "cafe-zurich"),
        ("<script>alert(1)</script>", "script-alert-1-script"),
        ("日本", "environment"),
        ("---", "environment"),
    ],
)
def test_slugify(text, slug):
    """Slugs are lower-case ASCII words joined by '-', 'environment' when nothing is left."""
    assert report.slugify(text) == slug


def test_assign_slugs_unique_and_order_independent():
    """Equal slugs get -2, -3 by path order, whatever order the inputs came in, never clashing with a real name."""
    items = [("prod", "/b"), ("prod", "/a"), ("prod-2", "/c"), ("prod", "/d")]
    slugs = report.assign_slugs(items)
    assert len(set(slugs)) == 4
    assert dict(zip((p for _, p in items), slugs)) == {"/a": "prod", "/b": "prod-3", "/c": "prod-2", "/d": "prod-4"}
    reordered = report.assign_slugs(list(reversed(items)))
    assert dict(zip((p for _, p in reversed(items)), reordered)) == dict(zip((p for _, p in items), slugs))


def test_usage_errors():
    """No inputs, a bad --jobs or a folder with no notebooks raise UsageError naming the problem."""
    with pytest.raises(UsageError, match="no inventory"):
        report.render([], "/tmp/unused")
    with pytest.raises(UsageError, match="--jobs"):
        report.render(["x.yaml"], "/tmp/unused", jobs=0)
    with pytest.raises(UsageError, match="no notebooks"):
        report.render(["x.yaml"], "/tmp/unused", notebooks_dir="/nonexistent-notebooks")


def test_notebook_list_leaves_compare_out_without_baseline(tmp_path):
    """06_* runs only with a baseline, 00_* (importers) never; the rest run in name order."""
    for name in ("05_summary.ipynb", "01_intake.ipynb", "06_compare.ipynb", "notes.ipynb", "00_import.ipynb"):
        (tmp_path / name).write_text("{}")
    assert [p.name for p in report.notebook_list(tmp_path)] == ["01_intake.ipynb", "05_summary.ipynb"]
    assert [p.name for p in report.notebook_list(tmp_path, with_compare=True)][-1] == "06_compare.ipynb"


@settings(max_examples=60, deadline=None)
@given(st.text())
def test_json_for_script_is_inert_and_round_trips(text):
    """Escaped JSON never contains '<', '>' or '&' and parses back to the same value."""
    escaped = json_for_script({"name": text, "list": [text]})
    assert not any(ch in escaped for ch in "<>&")
    assert json.loads(escaped) == {"list": [text], "name": text}


def test_chart_html_escapes_title_and_spec():
    """A chart titled with a hostile string: alt text escaped, spec inert, SVG image embedded."""
    import altair as alt
    import pandas as pd

    chart = alt.Chart(pd.DataFrame({"a": [HOSTILE, CLOSER], "b": [1, 2]}), title=HOSTILE).mark_bar().encode(x="b", y="a")
    out = chart_html(chart.to_dict())
    tree = lxml.html.fragment_fromstring(out)
    assert tree.xpath("img/@alt") == [HOSTILE]
    assert len(tree.xpath("//script")) == 1 and tree.xpath("//script/@type") == ["application/json"]
    assert CLOSER not in out.split("<script", 1)[1].rsplit("</script>", 1)[0]


def test_check_inert_rejects_markup_from_outputs():
    """A document with a stray script or an event handler attribute is refused."""
    with pytest.raises(Exception, match="unexpected <script>"):
        report._check_inert("<p>x</p><script>alert(1)</script>", allowed_scripts=0)
    with pytest.raises(Exception, match="onerror"):
        report._check_inert('<img src="x" onerror="alert(1)">', allowed_scripts=0)
    report._check_inert('<script class="hs-chart-spec" type="application/json">{}</script>', allowed_scripts=0)


def test_toc_ids_are_unique_and_linked():
    """Repeated headings get -2 ids; the contents list links h1 and h2 in document order."""
    doc = (
        "<head></head><!--hs-toc-->"
        '<h1 id="Intro">Intro<a class="anchor-link" href="#Intro">¶</a></h1>'
        '<h2 id="Gaps">Gaps<a class="anchor-link" href="#Gaps">¶</a></h2>'
        '<h2 id="Gaps">Gaps<a class="anchor-link" href="#Gaps">¶</a></h2>'
        '<h3 id="Deep">Deep</h3>'
    )
    out = report._add_toc(doc)
    tree = lxml.html.fromstring(out)
    assert tree.xpath("//nav//a/@href") == ["#Intro", "#Gaps", "#Gaps-2"]
    assert tree.xpath("//nav/ul/li/ul/li/a/@href") == ["#Gaps", "#Gaps-2"]
    assert tree.xpath("//h2[not(@class)]/@id") == ["Gaps", "Gaps-2"]
    assert tree.xpath("//h2[@id='Gaps-2']/a/@href") == ["#Gaps-2"]


@pytest.mark.slow
def test_baseline_report_folder_adds_the_comparison(rendered, tmp_path):
    """With an earlier report folder as baseline, 06_compare runs against that environment's analysis.json."""
    if not (NOTEBOOKS / "06_compare.ipynb").exists():
        pytest.skip("06_compare.ipynb not written yet")
    notebooks = tmp_path / "nbs"
    notebooks.mkdir()
    shutil.copy(NOTEBOOKS / "06_compare.ipynb", notebooks / "06_compare.ipynb")
    out = tmp_path / "out"
    status = report.render([str(rendered["good"])], out, baseline=rendered["out"], notebooks_dir=notebooks,
                           progress=False)
    assert status == 0
    slug = "acme-script-alert-1-script-production"
    manifest = json.loads((out / slug / "manifest.json").read_text())
    assert manifest["parameters"]["baseline_path"] == str(rendered["out"] / slug / "analysis.json")
    nb = nbformat.read(str(out / slug / "06_compare.ipynb"), as_version=4)
    assert nb.metadata.papermill["parameters"]["baseline_path"] == manifest["parameters"]["baseline_path"]


def test_resolve_baseline(tmp_path):
    """A baseline file serves every environment; a report folder gives DIR/<slug>/analysis.json or nothing."""
    (tmp_path / "old" / "prod").mkdir(parents=True)
    (tmp_path / "old" / "prod" / "analysis.json").write_text("{}")
    (tmp_path / "old" / "index.html").write_text("")
    assert report._resolve_baseline(tmp_path / "old", "prod") == str(tmp_path / "old" / "prod" / "analysis.json")
    assert report._resolve_baseline(tmp_path / "old", "test") is None
    assert report._resolve_baseline(tmp_path / "a.json", "prod") == str(tmp_path / "a.json")
    assert report._resolve_baseline(None, "prod") is None


def test_strip_volatile_removes_timestamps_addresses_and_random_ids():
    """Timing metadata, widget state and memory addresses go; the injected cell gets a fixed id."""
    nb = nbformat.v4.new_notebook(metadata={"widgets": {"x": 1}, "papermill": {
        "start_time": "t", "end_time": "t", "duration": 1.0, "parameters": {"a": 1}, "output_path": "/tmp/x"}})
    nb.cells = [
        nbformat.v4.new_code_cell("a = 1", id="kept", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("a = 2", id="3f2a9c1e", metadata={
            "tags": ["injected-parameters"], "execution": {"iopub.status.idle": "t"},
            "papermill": {"start_time": "t", "duration": 0.1, "status": "completed"}}),
    ]
    nb.cells[0].outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "<Styler at 0x7f54f42a3390>"})]
    report.strip_volatile(nb, source_ids=["kept"], output_path="env/01.ipynb")
    assert "widgets" not in nb.metadata
    assert nb.metadata.papermill == {"parameters": {"a": 1}, "output_path": "env/01.ipynb"}
    assert [c.id for c in nb.cells] == ["kept", "injected-parameters"]
    assert nb.cells[1].metadata == {"tags": ["injected-parameters"], "papermill": {"status": "completed"}}
    assert nb.cells[0].outputs[0]["data"]["text/plain"] == "<Styler>"


def test_shared_kernel_retries_a_kernel_that_dies_on_start(monkeypatch):
    """A kernel that dies before replying (its port taken by another process) is replaced by a fresh one."""
    import jupyter_client.manager

    started = []

    class FakeClient:
        def __init__(self, dies: bool):
            self.dies = dies

        def start_channels(self):
            pass

        def stop_channels(self):
            pass

        async def wait_for_ready(self, timeout=None):
            if self.dies:
                raise RuntimeError("Kernel died before replying to kernel_info")

    class FakeManager:
        def __init__(self, kernel_name):
            self.n = len(started)
            started.append(self)

        async def start_kernel(self, **kwargs):
            pass

        def client(self):
            return FakeClient(dies=self.n == 0)  # only the first kernel dies

        async def shutdown_kernel(self, now=False):
            self.shut = True

    monkeypatch.setattr(jupyter_client.manager, "AsyncKernelManager", FakeManager)
    kernel = report._SharedKernel("/tmp")
    assert len(started) == 2 and kernel.km is started[1]
    assert getattr(started[0], "shut", False)  # the dead one was cleaned up

    monkeypatch.setattr(FakeManager, "client", lambda self: FakeClient(dies=True))
    with pytest.raises(RuntimeError, match="Kernel died"):
        report._SharedKernel("/tmp")
    assert len(started) == 2 + report.KERNEL_START_ATTEMPTS
