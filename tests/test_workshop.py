"""Workshop self-checks: right/wrong with hints that never give the answer; notebooks run with the model answers."""

from __future__ import annotations

import json

import papermill as pm
import pytest
from conftest import NOTEBOOKS, SAMPLES, make_inventory
from hiddenspof import inventory, workshop

WORKSHOP = NOTEBOOKS / "workshop"

#: The model answers of the facilitator guide (notebooks/workshop/README.md), by notebook.
MODEL_ANSWERS = {
    "01_intake.ipynb": {"answer_assets": "files-share, orders-db", "answer_group": "web-1, web-2",
                        "answer_cycle": "ad-harbour, dns-internal"},
    "02_coupling.ipynb": {"answer_fire_lost": "files-share", "answer_fire_backup": "orders-db-offsite",
                          "answer_files_common": "ad-harbour, dc-harbour, dns-internal",
                          "answer_fix_site": "files-nightly"},
    "03_silent_failures.ipynb": {"answer_untested": "files-nightly", "answer_replica": "files-replica",
                                 "answer_worst": "files-nightly"},
    "04_capacity.ipynb": {"answer_bottleneck": "nas-01", "answer_makespan": "1.56",
                          "answer_makespan_doubled": "1.48"},
}
QUESTION_OF = {
    "answer_assets": "intake.assets", "answer_group": "intake.group", "answer_cycle": "intake.cycle",
    "answer_fire_lost": "coupling.fire_lost", "answer_fire_backup": "coupling.fire_backup",
    "answer_files_common": "coupling.files_common", "answer_fix_site": "coupling.fix_site",
    "answer_untested": "silent.untested", "answer_replica": "silent.replica", "answer_worst": "silent.worst",
    "answer_bottleneck": "capacity.bottleneck", "answer_makespan": "capacity.makespan",
    "answer_makespan_doubled": "capacity.makespan_doubled",
}


@pytest.fixture(scope="module")
def ws():
    """A workshop session on the teaching estate."""
    return workshop.Workshop.open(SAMPLES["teaching"])


def test_model_answers_are_right(ws):
    """Every model answer of the facilitator guide checks RIGHT, and every question has one."""
    assert set(QUESTION_OF.values()) == set(workshop.QUESTIONS)
    for answers in MODEL_ANSWERS.values():
        for param, answer in answers.items():
            result = ws.check(QUESTION_OF[param], answer)
            assert result.correct, str(result)
    assert ws.score() == f"{len(QUESTION_OF)} of {len(QUESTION_OF)} right"


def test_guide_lists_the_model_answers():
    """The facilitator guide states each model answer and a timing for each notebook."""
    guide = (WORKSHOP / "README.md").read_text()
    for name, answers in MODEL_ANSWERS.items():
        assert name in guide
        for answer in answers.values():
            assert answer in guide, answer
    assert "minutes" in guide


def test_partly_right_set_gets_a_hint_without_the_answer(ws):
    """Two of three common causes: NOT YET, says one more to find, and names neither the missing id nor the answer."""
    result = ws.check("coupling.files_common", "dc-harbour, ad-harbour")
    assert not result.correct and result.status == "NOT YET"
    assert "2 of yours are right, 1 more to find" in result.message
    assert "dns-internal" not in str(result) and result.hint


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


def _checks(nb: dict) -> list[str]:
    """The text/plain outputs of the check cells, in order."""
    out = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and "ws.check(" in "".join(cell["source"]):
            for o in cell["outputs"]:
                if "data" in o:
                    out.append("".join(o["data"]["text/plain"]))
    return out


def _run(name: str, params: dict, tmp_path) -> dict:
    out = tmp_path / name
    pm.execute_notebook(str(WORKSHOP / name), str(out), parameters={**params, "interactive": False},
                        cwd=str(WORKSHOP), progress_bar=False, kernel_name="python3")
    return json.loads(out.read_text())


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MODEL_ANSWERS))
def test_workshop_notebook_with_model_answers(name, tmp_path):
    """papermill runs the notebook with the model answers: every check cell says RIGHT and the score is full."""
    nb = _run(name, MODEL_ANSWERS[name], tmp_path)
    checks = _checks(nb)
    assert len(checks) == len(MODEL_ANSWERS[name])
    assert all(c.startswith("[RIGHT]") for c in checks), checks
    n = len(checks)
    assert f"'{n} of {n} right'" in json.dumps(nb["cells"][-1]["outputs"])


@pytest.mark.slow
def test_workshop_notebook_wrong_answer_gets_hint(tmp_path):
    """With one wrong answer the check cell says NOT YET with a hint, the others stay RIGHT."""
    params = dict(MODEL_ANSWERS["02_coupling.ipynb"], answer_fire_backup="orders-db-nightly")
    checks = _checks(_run("02_coupling.ipynb", params, tmp_path))
    wrong = [c for c in checks if c.startswith("[NOT YET]")]
    assert len(wrong) == 1 and "coupling.fire_backup" in wrong[0] and "Hint:" in wrong[0]
    assert "orders-db-offsite" not in wrong[0]
    assert sum(c.startswith("[RIGHT]") for c in checks) == 3


@pytest.mark.slow
def test_learner_mode_runs_with_no_answers(tmp_path):
    """With the defaults (learner mode) the notebook runs and every check says NO ANSWER."""
    checks = _checks(_run("03_silent_failures.ipynb", {}, tmp_path))
    assert checks and all(c.startswith("[NO ANSWER]") for c in checks)
