"""book/exercises.md: every exercise has a time, an expected outcome folded away, and code that runs.

The code of each exercise is taken from the page itself and run at smoke size (the assignments
named in SMOKE are replaced; trainings go to a temporary runs folder), so the page cannot drift
from the library."""
from __future__ import annotations

import re

import pytest

from conftest import REPO_ROOT
from srlib.book.exercises import code_blocks, exercise_code, exercises, run_exercise

PAGE = REPO_ROOT / "book" / "exercises.md"

#: Per exercise, the assignments replaced to run it at smoke size (each must be in its code).
SMOKE = {
    1: {"profile": '"smoke"'},
    2: {},
    3: {},
    4: {"size, repeats": "16, 1"},
    5: {"profile": '"smoke"', "steps": "{2: 6, 4: 4}"},
    6: {"profile": '"smoke"'},
    7: {},
}


def _exercises() -> dict[int, str]:
    return exercises(PAGE)


def _code(markdown: str) -> list[str]:
    return code_blocks(markdown)


def test_every_exercise_is_listed_with_a_time_and_has_a_folded_expected_outcome():
    text = PAGE.read_text()
    exercises = _exercises()
    assert sorted(exercises) == sorted(SMOKE), "tests/test_exercises.py's SMOKE must list every exercise"
    table = {int(m.group(1)): m.group(2) for m in re.finditer(r"^\| (\d+)\. [^|]+\| ([^|]+)\|", text, re.M)}
    for number, body in exercises.items():
        assert re.search(r"\d (second|minute)s?", table.get(number, "")), f"exercise {number}: no time in the table"
        assert "**Predict" in body, f"exercise {number}: no prediction asked"
        outcome = re.search(r"```\{admonition\} Expected outcome\n:class: dropdown\n(.+?)```", body, re.S)
        assert outcome and len(outcome.group(1).split()) > 20, f"exercise {number}: no folded expected outcome"
        assert _code(body), f"exercise {number}: no code to run"
    assert "Learning objectives" in text


@pytest.mark.slow
@pytest.mark.data
@pytest.mark.parametrize("number", sorted(SMOKE))
def test_exercise_code_runs_at_smoke_size(number, data_root, tmp_path, monkeypatch, capsys):
    """The page's code as the answers page runs it (srlib.book.exercises.run_exercise), at smoke size."""
    monkeypatch.setenv("SRLIB_DATA_DIR", str(data_root))
    from srlib.models.blocks import U_BLOCKS

    before = dict(U_BLOCKS)
    run_exercise(number, SMOKE[number], runs_dir=tmp_path / "runs", device="cpu", page=PAGE)
    assert dict(U_BLOCKS) == before, f"exercise {number} left a U block registered"
    assert capsys.readouterr().out.strip(), f"exercise {number} printed nothing"


def test_a_replaced_assignment_that_the_code_lost_is_an_error():
    with pytest.raises(ValueError, match="no longer assigns"):
        exercise_code(2, {"profile": '"smoke"'}, page=PAGE)
