"""book/exercises.md: every exercise has a time, an expected outcome folded away, and code that runs.

The code of each exercise is taken from the page itself and run at smoke size (the assignments
named in SMOKE are replaced; trainings go to a temporary runs folder), so the page cannot drift
from the library."""
from __future__ import annotations

import functools
import re
import types

import pytest

from conftest import REPO_ROOT

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
    text = PAGE.read_text()
    parts = re.split(r"^## (\d+)\. ", text, flags=re.M)
    return {int(parts[i]): parts[i + 1] for i in range(1, len(parts), 2)}


def _code(markdown: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", markdown, re.S)


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


@pytest.fixture
def smoke_book(tmp_path):
    """srlib.book whose curriculum_run trains into a temporary folder on the CPU."""
    from srlib import book

    proxy = types.ModuleType("book_for_exercises")
    proxy.__dict__.update(book.__dict__)
    proxy.curriculum_run = functools.partial(book.curriculum_run, runs_dir=tmp_path / "runs", device="cpu",
                                             progress=False, threads=1)
    return proxy


@pytest.mark.slow
@pytest.mark.data
@pytest.mark.parametrize("number", sorted(SMOKE))
def test_exercise_code_runs_at_smoke_size(number, data_root, smoke_book, monkeypatch, capsys):
    monkeypatch.setenv("SRLIB_DATA_DIR", str(data_root))
    from srlib.models.blocks import U_BLOCKS

    common = _code(PAGE.read_text().split("## 1. ")[0])
    assert len(common) == 1, "the page starts with one shared import block"
    source = "\n".join(_code(_exercises()[number]))
    for name, value in SMOKE[number].items():
        pattern = rf"^{re.escape(name)} = .*$"
        assert re.search(pattern, source, re.M), f"exercise {number} no longer assigns {name}"
        source = re.sub(pattern, f"{name} = {value}", source, flags=re.M)
    namespace: dict = {}
    exec(compile(common[0], "exercises.md (imports)", "exec"), namespace)
    namespace["book"] = smoke_book
    blocks = dict(U_BLOCKS)
    try:
        exec(compile(source, f"exercises.md, exercise {number}", "exec"), namespace)
    finally:
        U_BLOCKS.clear()
        U_BLOCKS.update(blocks)
    assert capsys.readouterr().out.strip(), f"exercise {number} printed nothing"
