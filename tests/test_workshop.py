"""Workshop self-checks: answers read as typed, hints that never give the answer, predict-then-reveal notebooks."""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess

import nbformat
import papermill as pm
import pytest
from conftest import NOTEBOOKS, ROOT, SAMPLES, make_inventory
from hiddenspof import inventory, silent, workshop

WORKSHOP = NOTEBOOKS / "workshop"
LEARNER = sorted(WORKSHOP.glob("[0-9]*.ipynb"))


@pytest.fixture(scope="module")
def ws():
    """A workshop session on the teaching estate."""
    return workshop.Workshop.open(SAMPLES["teaching"])


def _answer_params(path) -> dict[str, str]:
    """answer_* parameter -> question id, read from the notebook's exercise cells."""
    nb = nbformat.read(path, as_version=4)
    out = {}
    for cell in nb.cells:
        for qids, args in re.findall(r"ws\.exercise\(\s*(\[[^\]]*\]|\"[^\"]*\")\s*,\s*(\[[^\]]*\]|answer_\w+)",
                                     cell.source):
            out.update(zip(re.findall(r"answer_\w+", args), re.findall(r'"([^"]+)"', qids)))
    return out


def test_every_question_is_asked_by_a_notebook():
    """Each question of workshop.QUESTIONS has an exercise and an answer parameter in some notebook."""
    asked = {q for path in LEARNER for q in _answer_params(path).values()}
    assert asked == set(workshop.QUESTIONS)


def test_model_answers_are_right(ws):
    """The computed model answer of every question checks RIGHT; the score reads 'n of n right'."""
    for q in workshop.QUESTIONS:
        result = ws.check(q, ws.solution(q))
        assert result.correct, str(result)
    n = len(workshop.QUESTIONS)
    assert str(ws.score()) == f"{n} of {n} right" and repr(ws.score()) == f"{n} of {n} right"


def test_guide_lists_the_model_answers_and_the_kit(ws):
    """The facilitator kit states each computed model answer and covers objectives, plan, setup, reset, solutions."""
    guide = (WORKSHOP / "README.md").read_text()
    for q in workshop.QUESTIONS:
        assert ws.solution(q) in guide, (q, ws.solution(q))
    for path in LEARNER:
        assert path.name in guide and f"solutions/{path.name}" in guide
    for needed in ("Learning objectives", "120 minutes", "Break", "Setup", "make workshop", "Jupyter primer",
                   "Troubleshooting", "make workshop-reset", "Shift+Enter", "Widgets do not show"):
        assert needed in guide, needed
    plan = re.findall(r"^\| (\d+:\d\d) ", guide, flags=re.MULTILINE)
    assert plan and plan[0] == "0:00" and re.search(r"^\| 2:00 ", guide, flags=re.MULTILINE)


@pytest.mark.parametrize("text, hours", [("1,56", 1.56), ("1.56", 1.56), ("1.5 h", 1.5), ("1.5h", 1.5),
                                         ("90 min", 1.5), ("1 h 30 min", 1.5), ("1:30", 1.5),
                                         ("about 2 hours", 2.0), (" 0,5 ", 0.5), ("1,560.5", 1560.5)])
def test_numbers_read_as_typed(text, hours):
    """Decimal commas, units of time and h:mm are read as a person means them."""
    assert workshop.parse_answer(text, "number") == pytest.approx(hours)


@pytest.mark.parametrize("text, message", [("soon", "expected a number"), ("1.5 GB", "not a unit of time"),
                                           ("1 2", "give one number"), ("1,2,3", "cannot read")])
def test_unreadable_numbers_say_why(text, message):
    """An unreadable number raises ValueError with a message the learner can act on."""
    with pytest.raises(ValueError, match=message):
        workshop.parse_answer(text, "number")


def test_decimal_comma_checks_right(ws):
    """'1,56' is the makespan (it was once read as 1); '1.5 h' is too low only if it is."""
    truth = workshop.solution("capacity.makespan", ws.inventory, ws.model)
    assert ws.check("capacity.makespan", f"{truth:.2f}".replace(".", ",")).correct
    assert ws.check("capacity.makespan", f"{truth:.2f} h").correct
    assert ws.check("capacity.makespan", f"{truth * 60:.0f} min").correct


def test_ids_in_any_case_and_with_and(ws):
    """Ids match in any case, separated by commas, 'and', '&' or spaces, quotes and full stop ignored."""
    answer = ws.solution("intake.group")
    a, b = answer.split(", ")
    assert ws.check("intake.group", f"{a.upper()} and '{b.title()}'.").correct
    assert ws.check("intake.group", f"{a} & {b}").correct
    assert ws.check("coupling.fire_backup", ws.solution("coupling.fire_backup").upper()).correct


def test_partly_right_set_gets_a_hint_without_the_answer(ws):
    """Two of three common causes: NOT YET, says one more to find, and names neither the missing id nor the answer."""
    truth = sorted(workshop.solution("coupling.files_common", ws.inventory, ws.model))
    result = ws.check("coupling.files_common", ", ".join(truth[:-1]))
    assert not result.correct and result.status == "NOT YET"
    assert f"{len(truth) - 1} of yours are right, 1 more to find" in result.message
    assert truth[-1] not in str(result) and result.hint


def test_wrong_ids_are_named_as_the_learners_own(ws):
    """A component that is not part of the answer is named; a non-id is flagged as such."""
    result = ws.check("coupling.fire_lost", "orders-db, shop")
    assert "not part of the answer: orders-db" in result.message
    assert "not component ids: shop" in result.message
    assert "files-share" not in str(result)


def test_number_answers_say_too_high_or_low_only(ws):
    """A wrong number is called too high or too low; within 5 % is right; the true value is never shown."""
    truth = workshop.QUESTIONS["capacity.makespan"].solve(ws.inventory, ws.model)
    high = ws.check("capacity.makespan", "10 h")
    assert "too high" in high.message and f"{truth:g}" not in str(high) and f"{truth:.2f}" not in str(high)
    assert "too low" in ws.check("capacity.makespan", "0.1").message
    assert ws.check("capacity.makespan", f"{truth * 1.04}").correct
    assert "expected a number" in ws.check("capacity.makespan", "soon").message


def test_single_id_questions_want_one_id(ws):
    """An id question with two ids is not right, even when one of them is."""
    result = ws.check("coupling.fire_backup", "orders-db-offsite, orders-db-nightly")
    assert not result.correct and "exactly one id" in result.message


def test_empty_answer_is_not_wrong(ws):
    """An empty answer reports NO ANSWER with the question, not NOT YET."""
    result = ws.check("silent.replica", "")
    assert result.status == "NO ANSWER" and "method" not in result.message
    assert workshop.QUESTIONS["silent.replica"].prompt in result.message


def test_unknown_question_is_named():
    """An unknown question id raises WorkshopError naming it."""
    inv = inventory.load(SAMPLES["teaching"])
    with pytest.raises(workshop.WorkshopError, match="unknown question 'nope'"):
        workshop.check("nope", "x", inv)


def test_answers_are_computed_not_stored():
    """On a different estate the same question has a different model answer (computed from the inventory)."""
    inv = make_inventory(
        components=[{"id": "db", "kind": "datastore"}, {"id": "site", "kind": "site"}],
        dependencies=[{"component": "db", "depends_on": "site"}],
        backups=[{"id": "b", "protects": "db", "method": "replica"}],
    )
    assert workshop.check("silent.replica", "b", inv).correct
    assert not workshop.check("silent.replica", "files-replica", inv).correct
    assert workshop.solution_text("silent.replica", inv) == "b"


def test_silent_totals_explain_the_cap(ws):
    """A backup whose factors add up past 100 is explained: 'N points, capped at 100'; others show their sum."""
    from types import SimpleNamespace as NS

    capped = NS(id="b1", protects="a", score=100.0, factors=(NS(points=60.0), NS(points=50.0)))
    plain = NS(id="b2", protects="a", score=30.0, factors=(NS(points=30.0), NS(points=0.0)))
    totals = workshop.silent_totals(NS(backups=(plain, capped)))
    assert list(totals["backup"]) == ["b1", "b2"]
    assert list(totals["note"]) == ["110 points, capped at 100", "30 points"]
    real = workshop.silent_totals(silent.score(ws.inventory, ws.model))
    assert (real["score"] == real["points"].clip(upper=100)).all()
    assert real["score"].iloc[0] == real["score"].max()


def test_solution_notebooks_are_generated_from_the_learner_notebooks():
    """solutions/ holds exactly what write_solutions makes: the learner notebook plus one computed-answers cell."""
    for path in LEARNER:
        stored = nbformat.read(WORKSHOP / "solutions" / path.name, as_version=4)
        made = workshop.solution_notebook(nbformat.read(path, as_version=4))
        for cell in made.cells:
            cell.source = cell.source.replace('"../../data/', '"../../../data/')
        assert [(c.id, c.source) for c in stored.cells] == [(c.id, c.source) for c in made.cells], path.name
        assert all(c.outputs == [] and c.execution_count is None for c in stored.cells if c.cell_type == "code")
        solution_cell = next(c for c in stored.cells if c.id == workshop.SOLUTION_CELL_ID)
        assert "ws.solution(" in solution_cell.source and not re.search(r'= "\w', solution_cell.source)


def test_reset_restores_the_notebooks(tmp_path):
    """make workshop-reset puts back the notebooks as committed, discarding a learner's edits and outputs."""
    if shutil.which("git") is None or shutil.which("make") is None:
        pytest.skip("git and make are needed")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(clone)], check=True)
    target = clone / "notebooks" / "workshop" / "01_intake.ipynb"
    original = target.read_bytes()
    target.write_text("{}")
    (clone / "notebooks" / "workshop" / ".ipynb_checkpoints").mkdir()
    done = subprocess.run(["make", "-C", str(clone), "workshop-reset"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert target.read_bytes() == original
    assert not (clone / "notebooks" / "workshop" / ".ipynb_checkpoints").exists()


# -- the notebooks, executed -------------------------------------------------------------------------------


def _run(path, params: dict, tmp_path, cwd=None) -> dict:
    out = tmp_path / path.name
    pm.execute_notebook(str(path), str(out), parameters=params, cwd=str(cwd or path.parent), progress_bar=False,
                        kernel_name="python3")
    return json.loads(out.read_text())


def _plain(nb: dict) -> list[str]:
    """The text/plain outputs of the exercise and score cells, in order."""
    out = []
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        if cell["cell_type"] == "code" and ("ws.exercise(" in src or "ws.scoreboard(" in src):
            out += ["".join(o["data"]["text/plain"]) for o in cell["outputs"] if "data" in o]
    return out


def _giveaways(ws) -> list[str]:
    """Text that answers an exercise: multi-id and number answers, and what only the reveals print."""
    out = ['class="hs-reveal"', 'class="hs-answer"', "Unrecoverable:", "Makespan", "bottlenecks:",
           "capped at 100", "on a dependency cycle", "[RIGHT]"]
    for q, question in workshop.QUESTIONS.items():
        text = ws.solution(q)
        if question.kind == "number" or ", " in text:
            out.append(text)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("path", LEARNER, ids=lambda p: p.name)
def test_run_all_reveals_nothing(path, tmp_path, ws):
    """Run All as a learner (widgets on, no answers): questions only; no answer text in outputs or widget state."""
    nb = _run(path, {}, tmp_path)
    checks = _plain(nb)
    assert checks and all(line.startswith("[NO ANSWER]") for c in checks[:-1] for line in c.splitlines())
    assert re.fullmatch(r"0 of \d+ right \(\d+ not answered yet\)", checks[-1])
    text = json.dumps([c.get("outputs", []) for c in nb["cells"]]) + json.dumps(nb["metadata"].get("widgets", {}))
    for give in _giveaways(ws):
        assert give not in text, (path.name, give)


@pytest.mark.slow
@pytest.mark.parametrize("path", LEARNER, ids=lambda p: p.name)
def test_solutions_pass_every_check(path, tmp_path):
    """The solution notebook, executed, checks every exercise RIGHT, opens every reveal and scores n of n."""
    nb = _run(WORKSHOP / "solutions" / path.name, {}, tmp_path)
    checks = _plain(nb)
    n = len(_answer_params(path))
    lines = [line for c in checks[:-1] for line in c.splitlines()]
    assert len(lines) == n and all(line.startswith("[RIGHT]") for line in lines), lines
    assert checks[-1] == f"{n} of {n} right"
    state = json.dumps(nb["metadata"]["widgets"])
    exercises = sum("ws.exercise(" in "".join(c["source"]) for c in nb["cells"])
    assert state.count('class=\\"hs-reveal\\"') == exercises


@pytest.mark.slow
def test_static_mode_wrong_answer_gets_hint(tmp_path, ws):
    """interactive=False (reports): a wrong answer says NOT YET with a hint and opens its reveal as HTML."""
    path = WORKSHOP / "02_coupling.ipynb"
    params = {"interactive": False, "answer_fire_lost": ws.solution("coupling.fire_lost"),
              "answer_fire_backup": "orders-db-nightly"}
    nb = _run(path, params, tmp_path)
    checks = _plain(nb)
    assert checks[0].splitlines()[0].startswith("[RIGHT]")
    assert checks[0].splitlines()[1].startswith("[NOT YET]") and "Hint:" in checks[0]
    assert "orders-db-offsite" not in checks[0]
    html_out = json.dumps(nb["cells"])
    assert html_out.count('class=\\"hs-reveal\\"') == 1 and "Unrecoverable: files-share" in html_out
    assert checks[-1] == "1 of 4 right (2 not answered yet)"


def test_graph_has_arrowheads_pointing_at_what_is_needed(ws):
    """The intake graph draws an arrowhead per edge, rotated towards its target; a cycle shows heads both ways."""
    import pandas as pd
    from hiddenspof.charts import intake

    edges = pd.DataFrame({"source": ["a", "b", "c"], "target": ["b", "c", "a"], "relation": ["depends on"] * 3,
                          "x": [0.5, 0.5, 0.2], "y": [0.0, 1.0, 1.0], "x2": [0.5, 0.2, 0.5], "y2": [1.0, 1.0, 0.0]})
    heads = intake.arrowheads(edges, width=100, height=100, y_span=2.0)
    assert list(heads["angle"]) == [180.0, 270.0, pytest.approx(math.degrees(math.atan2(30, 50)), abs=1e-3)]
    assert heads.loc[0, "hy"] < 1.0 and heads.loc[1, "hx"] > 0.2  # just short of the target node
    nodes, graph_edges = intake.graph_layout(ws.inventory)
    spec = intake.dependency_graph(nodes, graph_edges).to_dict()
    layers = [layer for layer in spec["layer"] if layer.get("mark", {}).get("shape") == "triangle-up"]
    assert len(layers) == 1 and layers[0]["encoding"]["angle"]["field"] == "angle"
    rows = spec["datasets"][layers[0]["data"]["name"]]
    pairs = {(r["source"], r["target"]) for r in rows}
    a, b = ws.solution("intake.cycle").split(", ")
    assert (a, b) in pairs and (b, a) in pairs and len(rows) == len(graph_edges)
