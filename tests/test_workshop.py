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
from hiddenspof import inventory, silent, whatif, workshop

WORKSHOP = NOTEBOOKS / "workshop"
FACILITATOR = NOTEBOOKS / "facilitator"
KIT = FACILITATOR / "README.md"
SOLUTIONS = FACILITATOR / "solutions"
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
    fresh = workshop.Workshop(ws.inventory, ws.model)
    for q in workshop.QUESTIONS:
        result = fresh.check(q, fresh.solution(q))
        assert result.correct and result.reveal, str(result)
    n = len(workshop.QUESTIONS)
    assert str(fresh.score()) == f"{n} of {n} right" and repr(fresh.score()) == f"{n} of {n} right"


# -- predictions that count: tries, reveal, score ---------------------------------------------------------


def test_wrong_first_answer_gets_a_hint_and_a_second_try(ws):
    """A wrong first answer: NOT YET, a hint, one more try, nothing revealed; a second wrong one reveals."""
    s = workshop.Workshop(ws.inventory, ws.model)
    first = s.check("coupling.fire_backup", "orders-db-nightly")
    assert first.status == "NOT YET" and first.hint and first.tries_left == 1 and not first.reveal
    assert not s.done("coupling.fire_backup") and "One more try." in str(first)
    assert "orders-db-offsite" not in str(first)
    second = s.check("coupling.fire_backup", "files-nightly")
    assert second.status == "NOT YET" and second.tries_left == 0 and second.reveal
    assert s.done("coupling.fire_backup") and "The answer is shown below." in str(second)
    assert str(s.score()) == "0 of 1 right"


def test_unreadable_and_flagged_answers_use_no_try(ws):
    """'ninety minutes', a typo and an ambiguous name are NOT READ: no try used, no reveal, no score."""
    s = workshop.Workshop(ws.inventory, ws.model)
    for text in ("ninety minutes", "two days or so"):
        result = s.check("capacity.files_back", text)
        assert result.status == "NOT READ" and result.tries_left is None and not result.reveal
    assert s.check("coupling.files_common", "dc-harbor").status == "NOT READ"
    assert s.check("coupling.fire_lost", "the server room").status == "NOT READ"
    assert s.tries == {} and s.revealed == set()
    assert str(s.score()) == "0 of 3 right (3 not answered yet)"
    truth = workshop.solution("capacity.files_back", ws.inventory, ws.model)
    assert s.check("capacity.files_back", f"{truth:.1f} h").correct  # the first counted try is right


def test_score_keeps_the_first_try(ws):
    """Right at the second try is noted apart; retyping the revealed answer never scores."""
    s = workshop.Workshop(ws.inventory, ws.model)
    s.check("intake.cycle", "web-1, web-2")
    second = s.check("intake.cycle", s.solution("intake.cycle"))
    assert second.correct and second.reveal
    assert str(s.score()) == "0 of 1 right (1 more at the second try)"
    s.check("coupling.fire_lost", "orders-db")
    s.check("coupling.fire_lost", "web-1")
    again = s.check("coupling.fire_lost", s.solution("coupling.fire_lost"))
    assert again.correct and not again.scored and "not scored" in str(again)
    s.show("silent.replica")
    late = s.check("silent.replica", s.solution("silent.replica"))
    assert not late.scored
    s.check("intake.assets", s.solution("intake.assets"))
    assert str(s.score()) == "1 of 4 right (1 more at the second try; 1 shown before answering)"


def test_guide_lists_the_model_answers_and_the_kit(ws):
    """The facilitator kit states each computed model answer and covers objectives, plan, setup, reset, solutions."""
    guide = KIT.read_text()
    for q in workshop.QUESTIONS:
        assert ws.solution(q) in guide, (q, ws.solution(q))
    for path in LEARNER:
        assert path.name in guide and f"solutions/{path.name}" in guide
    for needed in ("Learning objectives", "120 minutes", "Break", "Setup", "make workshop", "Jupyter primer",
                   "Troubleshooting", "make workshop-reset", "Shift+Enter", "Widgets do not show",
                   "make workshop-check", "make workshop-wheels", "--no-index", "WSL", "--allow-root", "File Changed"):
        assert needed in guide, needed
    plan = re.findall(r"^\| (\d+:\d\d) ", guide, flags=re.MULTILINE)
    assert plan and plan[0] == "0:00" and re.search(r"^\| 2:00 ", guide, flags=re.MULTILINE)


@pytest.mark.parametrize("text, hours", [("1,56", 1.56), ("1.56", 1.56), ("1.5 h", 1.5), ("1.5h", 1.5),
                                         ("90 min", 1.5), ("1 h 30 min", 1.5), ("1:30", 1.5), ("1h30", 1.5),
                                         ("1h 30m", 1.5), ("5633 s", 5633 / 3600), ("5400 seconds", 1.5),
                                         ("12 hours 7 minutes", 12 + 7 / 60), ("1.5hours", 1.5),
                                         ("about 2 hours", 2.0), (" 0,5 ", 0.5), ("1,560.5", 1560.5)])
def test_numbers_read_as_typed(text, hours):
    """Decimal commas, units of time and h:mm are read as a person means them."""
    assert workshop.parse_answer(text, "number") == pytest.approx(hours)


@pytest.mark.parametrize("text, message", [("soon", "expected a number"), ("1.5 GB", "not a unit of time"),
                                           ("ninety minutes", "expected a number"),
                                           ("1 2", "give one number"), ("1,2,3", "cannot read")])
def test_unreadable_numbers_say_why(text, message):
    """An unreadable number raises ValueError with a message the learner can act on."""
    with pytest.raises(ValueError, match=message):
        workshop.parse_answer(text, "number")


def test_decimal_comma_checks_right(ws):
    """The hours answer in a decimal comma, hours, minutes, seconds or 1h30 form is right."""
    truth = workshop.solution("capacity.files_back", ws.inventory, ws.model)
    for text in (f"{truth:.2f}".replace(".", ","), f"{truth:.2f} h", f"{truth * 60:.0f} min",
                 f"{truth * 3600:.0f} s", f"{int(truth)}h{round((truth % 1) * 60):02d}"):
        assert workshop.check("capacity.files_back", text, ws.inventory, ws.model).correct, text


def test_ids_in_any_case_and_with_and(ws):
    """Ids match in any case, separated by commas, 'and', '&', arrows or spaces, quotes and full stop ignored."""
    answer = ws.solution("intake.group")
    a, b = answer.split(", ")
    assert workshop.check("intake.group", f"{a.upper()} and '{b.title()}'.", ws.inventory, ws.model).correct
    assert workshop.check("intake.group", f"{a} & {b}", ws.inventory, ws.model).correct
    assert workshop.check("intake.group", f"{a} {b}", ws.inventory, ws.model).correct
    one = ws.solution("coupling.fire_backup")
    assert workshop.check("coupling.fire_backup", one.upper(), ws.inventory, ws.model).correct


@pytest.mark.parametrize("text", ["ad-harbour -> dns-internal", "dns-internal <-> ad-harbour", "AD and DNS",
                                  "Active Directory, internal DNS", "ad-harbour→dns-internal"])
def test_arrows_and_names_read_as_ids(ws, text):
    """Arrows between ids, parts of ids and component names are read as the components they name."""
    reading = workshop.read_answer(text, "ids", ws.model)
    assert reading.readable and reading.value == {"ad-harbour", "dns-internal"}, reading
    assert workshop.check("intake.cycle", text, ws.inventory, ws.model).correct


def test_names_that_fit_two_components_are_flagged(ws):
    """An ambiguous name or an unknown word is NOT READ (naming it), not a wrong answer."""
    result = workshop.check("coupling.fire_lost", "the server room", ws.inventory, ws.model)
    assert result.status == "NOT READ" and "could be dc-harbour or nas-01" in result.message
    result = workshop.check("coupling.fire_lost", "orders-db, shopz", ws.inventory, ws.model)
    assert result.status == "NOT READ" and "'shopz' is not a component" in result.message


def test_partly_right_set_gets_a_hint_without_the_answer(ws):
    """Two of three common causes: NOT YET, says one more to find, and names neither the missing id nor the answer."""
    truth = sorted(workshop.solution("coupling.files_common", ws.inventory, ws.model))
    result = workshop.check("coupling.files_common", ", ".join(truth[:-1]), ws.inventory, ws.model)
    assert not result.correct and result.status == "NOT YET"
    assert f"{len(truth) - 1} of your {len(truth) - 1} are right, 1 more to find" in result.message
    assert truth[-1] not in str(result) and result.hint
    one = workshop.check("coupling.files_common", truth[0], ws.inventory, ws.model)
    assert "yours is right, 2 more to find" in one.message  # singular when one id is given


def test_wrong_ids_are_named_as_the_learners_own(ws):
    """A component that is not part of the answer is named, and the answer is not."""
    result = workshop.check("coupling.fire_lost", "orders-db, web-1", ws.inventory, ws.model)
    assert "not part of the answer: orders-db, web-1" in result.message
    assert "none of your 2 is right" in result.message
    assert "files-share" not in str(result)


def test_number_answers_say_too_high_or_low_only(ws):
    """A wrong number is called too high or too low; within 5 % is right; the true value is never shown."""
    truth = workshop.QUESTIONS["capacity.files_back"].solve(ws.inventory, ws.model)

    def judge(text):
        return workshop.check("capacity.files_back", text, ws.inventory, ws.model)

    high = judge(f"{truth * 2:.0f} h")
    assert "too high" in high.message and f"{truth:g}" not in str(high) and f"{truth:.2f}" not in str(high)
    assert "too low" in judge("0.1").message
    assert judge(f"{truth * 1.04}").correct and not judge(f"{truth * 1.06}").correct
    assert judge("soon").status == "NOT READ" and "expected a number" in judge("soon").message


def test_single_id_questions_want_one_id(ws):
    """An id question with two ids is not right, even when one of them is."""
    result = workshop.check("coupling.fire_backup", "orders-db-offsite, orders-db-nightly", ws.inventory, ws.model)
    assert result.status == "NOT READ" and "give one id (you gave 2" in result.message


def test_empty_answer_is_not_wrong(ws):
    """An empty answer reports NO ANSWER with the question, not NOT YET."""
    result = workshop.check("silent.replica", "", ws.inventory, ws.model)
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


def test_solution_notebooks_are_generated_from_the_learner_notebooks(tmp_path):
    """The facilitator's solutions hold exactly what write_solutions makes: the learner notebook plus one cell."""
    assert sorted(p.name for p in SOLUTIONS.glob("*.ipynb")) == [p.name for p in LEARNER]
    for path in LEARNER:
        stored = nbformat.read(SOLUTIONS / path.name, as_version=4)
        made = workshop.solution_notebook(nbformat.read(path, as_version=4), "../../workshop/teaching.yaml")
        assert [(c.id, c.source) for c in stored.cells] == [(c.id, c.source) for c in made.cells], path.name
        assert all(c.outputs == [] and c.execution_count is None for c in stored.cells if c.cell_type == "code")
        solution_cell = next(c for c in stored.cells if c.id == workshop.SOLUTION_CELL_ID)
        assert "ws.solution(" in solution_cell.source and not re.search(r'= "\w', solution_cell.source)
    made_dir = tmp_path / "solutions"  # write_solutions makes the estate path right from wherever they go
    (first, *_) = workshop.write_solutions(WORKSHOP, made_dir)
    params = next(c for c in nbformat.read(first, as_version=4).cells if "parameters" in c.metadata.get("tags", []))
    found = re.search(r'inventory_path: str = "([^"]+)"', params.source).group(1)
    assert (made_dir / found).resolve() == (WORKSHOP / "teaching.yaml").resolve()


def test_learner_outputs_never_leak_into_solutions(tmp_path):
    """A learner notebook saved with outputs and widget state (Lab autosaves) gives a clean solution notebook."""
    learner = nbformat.read(LEARNER[0], as_version=4)
    for cell in learner.cells:
        if cell.cell_type == "code":
            cell.outputs = [nbformat.v4.new_output("stream", text="files-share leaked\n")]
            cell.execution_count = 7
    learner.metadata["widgets"] = {"state": "files-share"}
    folder = tmp_path / "workshop"
    folder.mkdir()
    nbformat.write(learner, folder / LEARNER[0].name)
    (written,) = workshop.write_solutions(folder, tmp_path / "solutions")
    text = written.read_text()
    assert "leaked" not in text and '"widgets"' not in text and '"execution_count": 7' not in text


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


def _answer_forms(ws, q) -> list[str]:
    """The ways a model answer can be written down: ids joined by commas, "and", arrows; hours to 1 and 2 decimals."""
    question = workshop.QUESTIONS[q]
    truth = workshop.solution(q, ws.inventory, ws.model)
    if question.kind == "number":
        return [f"{truth:.2f}", f"{truth:.1f}", f"{truth:.2f}".replace(".", ","), f"{truth:.1f}".replace(".", ",")]
    if question.kind == "yesno":
        return []
    ids = sorted(truth)
    forms = []
    for order in (ids, ids[::-1]):
        for sep in (", ", " and ", " -> ", ","):
            forms.append(sep.join(order))
    return forms


def _giveaways(ws) -> list[str]:
    """Text that answers an exercise: multi-id and number answers, and what only the reveals print."""
    out = ['class="hs-reveal"', 'class="hs-answer"', "Unrecoverable:", "Makespan", "bottlenecks:",
           "capped at 100", "on a dependency cycle", "[RIGHT]"]
    for q, question in workshop.QUESTIONS.items():
        if question.kind == "number" or (question.kind != "yesno" and len(workshop.solution(q, ws.inventory, ws.model)) > 1):
            out += _answer_forms(ws, q)
    return out


def test_participants_folder_holds_no_answer(ws):
    """The participants' folder holds the notebooks and the estate only, and no model answer in any form.

    Multi-id and number answers are searched in every file (the estate's own
    data is the exception for ids); a single-id answer must not appear in
    the prose, code or examples before its exercise, nor in any prompt or
    hint of the workshop.
    """
    files = sorted(p.relative_to(WORKSHOP).as_posix() for p in WORKSHOP.rglob("*") if p.is_file()
                   and ".ipynb_checkpoints" not in p.parts)
    assert files == sorted([p.name for p in LEARNER] + ["teaching.yaml"]), files
    assert (WORKSHOP / "teaching.yaml").read_bytes() == SAMPLES["teaching"].read_bytes()
    notebooks = {p.name: nbformat.read(p, as_version=4) for p in LEARNER}
    everything = "\n".join(c.source for nb in notebooks.values() for c in nb.cells)
    for q, question in workshop.QUESTIONS.items():
        truth = workshop.solution(q, ws.inventory, ws.model)
        for form in _answer_forms(ws, q):
            if question.kind == "number" or len(truth) > 1:
                assert form not in everything, (q, form)
        for other in workshop.QUESTIONS.values():
            words = other.prompt + " " + other.hint
            for form in _answer_forms(ws, q):
                assert form not in words or (len(truth) == 1 and other.id != q), (q, other.id, form)
        if question.kind in ("ids", "id") and len(truth) == 1:
            (answer,) = truth
            nb = next(nb for nb in notebooks.values() if any(f'"{q}"' in c.source for c in nb.cells))
            before = []
            for cell in nb.cells:
                if f'"{q}"' in cell.source:
                    break
                before.append(cell.source)
            assert not re.search(rf"(?<![\w-]){re.escape(answer)}(?![\w-])", "\n".join(before)), (q, answer)
            assert answer not in question.prompt and answer not in question.hint, q


def test_prose_numbers_match_the_estate(ws):
    """Every number with a unit in the participants' prose (GB, MB/s, Mbit/s, hours) is a value of the estate."""
    inv = ws.inventory
    values = {
        "GB": set(inv.components["data_gb"].dropna()) | set(inv.backups["size_gb"].dropna()),
        "MB/s": set(inv.components["throughput_mb_s"].dropna()) | set(inv.backups["restore_mb_s"].dropna()),
        "hours": set(inv.components["rto_hours"].dropna()) | set(inv.components["rpo_hours"].dropna()),
    }
    found = 0
    for path in LEARNER:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "markdown":
                continue
            # the planned length of a notebook, and `typing examples`, are not estate values
            prose = re.sub(r"`[^`]*`", "", re.sub(r"\(\d+ minutes\)", "", cell.source))
            for number, unit in re.findall(r"(\d+(?:\.\d+)?)\s*(GB|MB/s|h\b|hours?\b)", prose):
                if number == "1" and unit in ("GB", "hour"):  # "1 GB = 1000 MB; 3600 seconds = 1 hour"
                    continue
                key = {"h": "hours", "hour": "hours"}.get(unit, unit)
                assert float(number) in values[key], (path.name, number, unit)
                found += 1
    kit = KIT.read_text()
    line = inv.components.set_index("id").loc[workshop.ransomware_restores(inv, ws.model)["asset"].iloc[0]]
    assert f"{line['rto_hours']:g} h RTO" in kit or f"{line['rto_hours']:g}-hour RTO" in kit
    assert found >= 3


def test_ransomware_misses_an_rto_by_more_than_the_tolerance(ws):
    """Notebook 4's scenario restores from surviving copies only, and files-share misses its RTO clearly."""
    inv, m = ws.inventory, ws.model
    scenario = workshop.ransomware_scenario(inv)
    run = whatif.capacity_whatif(m, scenario)
    used = set(run.restores["backup"])
    assert used == workshop.solution("capacity.survivors", inv, m)
    replica = workshop.solution("silent.replica", inv, m)
    assert not used & replica  # exercise 3.2 taught that the replica copies the ransomware
    row = run.restores.set_index("asset").loc["files-share"]
    tolerance = workshop.QUESTIONS["capacity.files_back"].tolerance
    assert not row["meets_rto"]
    assert row["finish_hours"] * (1 - tolerance) > row["rto_hours"] * 1.1  # late by far more than the tolerance
    assert row["late_hours"] > 2 * tolerance * row["finish_hours"]
    # the kit's working agrees with the simulation: both restores share the line, then files-share runs alone
    kit = KIT.read_text()
    for hours in (*run.restores["finish_hours"], row["late_hours"]):
        assert f"**{hours:.2f} h**" in kit, hours
    doubled = whatif.capacity_whatif(m, scenario, dict.fromkeys(run.bottlenecks, 2.0))
    assert workshop.solution("capacity.doubled_meets", inv, m) is False
    assert not doubled.restores.set_index("asset").loc["files-share", "meets_rto"]


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
    nb = _run(SOLUTIONS / path.name, {}, tmp_path)
    checks = _plain(nb)
    n = len(_answer_params(path))
    lines = [line for c in checks[:-1] for line in c.splitlines()]
    assert len(lines) == n and all(line.startswith("[RIGHT]") for line in lines), lines
    assert checks[-1] == f"{n} of {n} right"
    state = json.dumps(nb["metadata"]["widgets"])
    exercises = sum("ws.exercise(" in "".join(c["source"]) for c in nb["cells"])
    assert state.count('class=\\"hs-reveal\\"') == exercises
    _assert_people_words(nb)


#: The tool's own names, which a participant should never read (tables and reveals use words).
INTERNAL = ("meets_rto", "control_plane_outage", "credential_compromise", "site_loss", "hiddenspof.", "coupling.",
            "restore_test", "file_copy", "object_copy", "job_status", "verification_strength", "method_replica",
            "late_hours", "finish_hours", "rto_hours", "size_known")


def _assert_people_words(nb: dict) -> None:
    """Every table a participant sees (outputs and widget values, all reveals open) reads as words for people."""
    import html as html_mod

    shown = []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            shown.append("".join(out.get("data", {}).get("text/html", "")))
    for value in re.findall(r'"value": "((?:[^"\\]|\\.)*)"', json.dumps(nb["metadata"].get("widgets", {}))):
        shown.append(json.loads(f'"{value}"'))
    text = re.sub(r"<(svg|script|style)\b.*?</\1>", "", " ".join(shown), flags=re.DOTALL)
    for header in re.findall(r"<th[^>]*>(.*?)</th>", text, flags=re.DOTALL):
        assert "_" not in header, header
    for cell in re.findall(r"<td[^>]*>(.*?)</td>", text, flags=re.DOTALL):
        value = html_mod.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
        assert value not in ("None", "<NA>", "nan", "NaN", "NaT"), cell
    for name in INTERNAL:
        assert name not in text, name
    assert "&lt;NA&gt;" not in text and "(s)" not in text


@pytest.mark.slow
def test_static_mode_wrong_answer_gets_hint(tmp_path, ws):
    """interactive=False (reports): a wrong first answer says NOT YET with a hint and opens nothing; a right one opens."""
    path = WORKSHOP / "02_coupling.ipynb"
    params = {"interactive": False, "answer_fire_lost": ws.solution("coupling.fire_lost"),
              "answer_fire_backup": "orders-db-nightly", "answer_files_common": ws.solution("coupling.files_common")}
    nb = _run(path, params, tmp_path)
    checks = _plain(nb)
    assert checks[0].splitlines()[0].startswith("[RIGHT]")
    assert checks[0].splitlines()[1].startswith("[NOT YET]") and "Hint:" in checks[0] and "One more try." in checks[0]
    assert "orders-db-offsite" not in checks[0]
    html_out = json.dumps(nb["cells"])
    assert html_out.count('class=\\"hs-reveal\\"') == 1  # the common causes only: the fire waits for a second try
    assert "Unrecoverable: files-share" not in html_out
    assert checks[-1] == "2 of 6 right (3 not answered yet)"


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
