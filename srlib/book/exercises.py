"""The exercises of ``book/exercises.md``, run from the page itself.

The page is the one source of each exercise's code: :func:`exercise_code` reads it, and
:func:`run_exercise` runs it (the page's shared imports first) with some of its assignments
replaced (e.g. ``profile``), returning the names it defined, from which the answers page takes
each expected outcome. ``tests/test_exercises.py`` runs the same code at smoke size.
"""
from __future__ import annotations

import functools
import re
import types
from pathlib import Path
from typing import Any, Mapping

from ..repository import resolve

__all__ = ["EXERCISES_PAGE", "exercises", "code_blocks", "shared_code", "exercise_code", "run_exercise"]

EXERCISES_PAGE = resolve("book/exercises.md")


def exercises(page: Path | str = EXERCISES_PAGE) -> dict[int, str]:
    """``{number: markdown}`` of each ``## <number>. ...`` section of the page."""
    parts = re.split(r"^## (\d+)\. ", Path(page).read_text(), flags=re.M)
    return {int(parts[i]): parts[i + 1] for i in range(1, len(parts), 2)}


def code_blocks(markdown: str) -> list[str]:
    """The ```python blocks of ``markdown``, in order."""
    return re.findall(r"```python\n(.*?)```", markdown, re.S)


def shared_code(page: Path | str = EXERCISES_PAGE) -> str:
    """The import block every exercise starts from (the page's one code block before exercise 1)."""
    blocks = code_blocks(Path(page).read_text().split("## 1. ")[0])
    if len(blocks) != 1:
        raise ValueError(f"{page}: expected one shared code block before exercise 1, found {len(blocks)}")
    return blocks[0]


def exercise_code(number: int, replace: Mapping[str, str] | None = None, page: Path | str = EXERCISES_PAGE) -> str:
    """Exercise ``number``'s code with each assignment ``name = ...`` of ``replace`` set to its
    value (source text); ``KeyError`` for an exercise the page lacks, ``ValueError`` when the code
    no longer assigns a name to replace."""
    source = "\n".join(code_blocks(exercises(page)[number]))
    for name, value in (replace or {}).items():
        pattern = rf"^{re.escape(name)} = .*$"
        if not re.search(pattern, source, re.M):
            raise ValueError(f"exercise {number} no longer assigns {name}")
        source = re.sub(pattern, f"{name} = {value}", source, flags=re.M)
    return source


def run_exercise(number: int, replace: Mapping[str, str] | None = None, *, runs_dir: Path | str = "runs",
                 device: str = "auto", keep_blocks: bool = False, page: Path | str = EXERCISES_PAGE
                 ) -> dict[str, Any]:
    """Run exercise ``number`` as the page writes it (:func:`exercise_code`), its trainings in
    ``runs_dir`` on ``device``, and return the names it defined. A U block it registers is
    removed again afterwards, unless ``keep_blocks`` (to load its networks' weights later)."""
    from .. import book
    from ..models.blocks import U_BLOCKS

    proxy = types.ModuleType("book_for_exercises")
    proxy.__dict__.update(book.__dict__)
    proxy.curriculum_run = functools.partial(book.curriculum_run, runs_dir=resolve(runs_dir), device=device,
                                             progress=False)
    namespace: dict[str, Any] = {}
    exec(compile(shared_code(page), "exercises.md (imports)", "exec"), namespace)
    namespace["book"] = proxy
    blocks = dict(U_BLOCKS)
    try:
        exec(compile(exercise_code(number, replace, page), f"exercises.md, exercise {number}", "exec"), namespace)
    finally:
        if not keep_blocks:
            U_BLOCKS.clear()
            U_BLOCKS.update(blocks)
    return namespace
