"""scripts/run_notebooks.py: the book's notebooks as a dependency graph, JOBS at a time.

The scheduling is tested with a fake executor (threads that sleep and log when they run); one
test runs two tiny real notebooks through jupytext and papermill to check that a failing cell
stops the build with the notebook's name and papermill's error.
"""
from __future__ import annotations

import importlib.util
import re
import sys
import threading
import time
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("run_notebooks", REPO_ROOT / "scripts" / "run_notebooks.py")
rn = importlib.util.module_from_spec(_spec)
sys.modules["run_notebooks"] = rn  # dataclasses look their module up there
_spec.loader.exec_module(rn)
Notebook = rn.Notebook


class FakeExecutor:
    """Sleeps ``seconds`` per notebook, records (name, start, end) and the most notebooks that ran
    at once; raises for the names in ``fail``."""

    def __init__(self, seconds: float = 0.05, fail: tuple[str, ...] = (), durations: dict[str, float] | None = None):
        self.seconds, self.fail, self.durations = seconds, fail, durations or {}
        self.lock = threading.Lock()
        self.running: set[str] = set()
        self.spans: dict[str, tuple[float, float]] = {}
        self.overlaps: dict[str, set[str]] = {}
        self.most = 0

    def __call__(self, nb: Notebook) -> None:
        with self.lock:
            for other in self.running:
                self.overlaps.setdefault(nb.name, set()).add(other)
                self.overlaps.setdefault(other, set()).add(nb.name)
            self.running.add(nb.name)
            self.most = max(self.most, len(self.running))
            t0 = time.monotonic()
        time.sleep(self.durations.get(nb.name, self.seconds))
        with self.lock:
            self.running.discard(nb.name)
            self.spans[nb.name] = (t0, time.monotonic())
        if nb.name in self.fail:
            raise rn.NotebookFailed(nb.name, f"PapermillExecutionError in {nb.name}: ValueError: boom")


def _graph(spec: str) -> list[Notebook]:
    """'a; b<a; c<a,b; !d' -> notebooks (after the '<'; '!' marks an exclusive one)."""
    out = []
    for item in (s.strip() for s in spec.split(";") if s.strip()):
        name, _, after = item.partition("<")
        out.append(Notebook(name.lstrip("!"), name.lstrip("!"), tuple(a for a in after.split(",") if a),
                            name.startswith("!")))
    return out


def test_order_respects_the_dependencies():
    graph = _graph("a; b<a; c<b; d; e<c,d; f<a")
    fake = FakeExecutor(0.03)
    finished = []
    rn.run_graph(graph, fake, jobs=3, on_done=lambda nb, t0, t1: finished.append(nb.name))
    assert sorted(finished) == sorted(nb.name for nb in graph)
    for nb in graph:
        for dep in nb.after:
            assert fake.spans[dep][1] <= fake.spans[nb.name][0], f"{nb.name} started before {dep} ended"


@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_at_most_jobs_at_once_and_as_many_as_allowed(jobs):
    graph = _graph("a; b; c; d; e; f")
    fake = FakeExecutor(0.05)
    rn.run_graph(graph, fake, jobs=jobs)
    assert fake.most == jobs  # never more, and independent notebooks do run side by side


def test_exclusive_notebooks_run_alone():
    graph = _graph("!t6; a; b; c<a; !claims<b; d; e")
    fake = FakeExecutor(0.04)
    rn.run_graph(graph, fake, jobs=2)
    assert fake.most == 2
    for name in ("t6", "claims"):
        assert name in fake.spans and not fake.overlaps.get(name), f"{name} ran beside {fake.overlaps.get(name)}"


def test_a_failure_stops_the_build_with_its_name():
    graph = _graph("a; bad<a; after_bad<bad; slow; z<slow")
    fake = FakeExecutor(0.02, fail=("bad",), durations={"slow": 0.5})
    stopped = []
    with pytest.raises(rn.NotebookFailed) as err:
        rn.run_graph(graph, fake, jobs=2, on_failure=lambda: stopped.append(True))
    assert err.value.name == "bad" and "PapermillExecutionError" in err.value.detail
    assert stopped == [True]
    assert "after_bad" not in fake.spans  # nothing that needs it ran
    assert "slow" in fake.spans and "z" not in fake.spans  # the running one ended, nothing new started


def test_an_unexpected_error_is_reported_with_the_notebook_name():
    def boom(nb):
        raise OSError("disk full")

    with pytest.raises(rn.NotebookFailed, match="notebook only failed") as err:
        rn.run_graph(_graph("only"), boom, jobs=2)
    assert "disk full" in err.value.detail


def test_a_cycle_is_refused():
    with pytest.raises(ValueError, match="cycle"):
        rn.run_graph(_graph("a<b; b<a"), FakeExecutor(0.0), jobs=2)


def test_a_subset_drops_the_dependencies_outside_it():
    graph = rn.load_graph()
    sub = rn.subset(graph, ["table5_benchmarks", "train_x8"])
    assert [(n.name, n.after) for n in sub] == [("train_x8", ()), ("table5_benchmarks", ("train_x8",))]
    with pytest.raises(ValueError, match="unknown notebook"):
        rn.subset(graph, ["no_such_chapter"])


# ------------------------------------------------------------------ the book's own graph
def _ancestors(graph, name):
    by = {n.name: n for n in graph}
    seen, todo = set(), list(by[name].after)
    while todo:
        a = todo.pop()
        if a not in seen:
            seen.add(a)
            todo.extend(by[a].after)
    return seen


def test_the_book_graph_covers_every_notebook_in_a_valid_order():
    graph = rn.load_graph()
    sources = {p.stem for p in (REPO_ROOT / "notebooks").glob("*.py")}
    assert {n.source for n in graph} == sources
    names = [n.name for n in graph]
    assert [n for n in names if n.startswith("train_x")] == ["train_x2", "train_x4", "train_x8"]
    fake = FakeExecutor(0.0)
    rn.run_graph(graph, fake, jobs=2)  # acyclic: every notebook runs
    assert set(fake.spans) == set(names)


def test_the_book_graph_orders_what_reads_another_notebooks_output():
    graph = {n.name: n for n in rn.load_graph()}
    assert graph["train_x4"].papermill == ("-p", "scale", "4", "-r", "init", "previous")
    assert graph["train_x2"].papermill == ("-p", "scale", "2", "-r", "init", "")
    assert {"train_x2", "train_x4"} <= _ancestors(graph.values(), "train_x8")
    # every notebook that asks for a curriculum run comes after the stage that trains it (else two
    # processes would train the same run folder, and the second stops with RunLockedError)
    for name, nb in graph.items():
        text = (REPO_ROOT / "notebooks" / f"{nb.source}.py").read_text()
        if nb.source != "train_stage" and "curriculum_run(" in text:
            scale = re.search(r"^scale = (\d)", text, re.M)
            needed = f"train_x{scale.group(1)}" if scale else "train_x8"
            assert needed in _ancestors(graph.values(), name), f"{name} must come after {needed}"
        if "retrain = " in text:  # RETRAIN: ablation units shared between chapters train once
            others = [o for o, m in graph.items() if o != name and "retrain = " in
                      (REPO_ROOT / "notebooks" / f"{m.source}.py").read_text()]
            for other in others:
                assert other in _ancestors(graph.values(), name) or name in _ancestors(graph.values(), other)
    assert "protocol" in _ancestors(graph.values(), "table5_benchmarks")  # Table V reads protocol's Bicubic cells


def test_the_timing_chapters_run_alone():
    graph = {n.name: n for n in rn.load_graph()}
    assert graph["table6_efficiency"].exclusive and graph["claims"].exclusive
    assert not graph["train_x2"].exclusive


# ------------------------------------------------------------------ the times file and pages
def test_times_rows_and_the_wall_time(tmp_path):
    times = tmp_path / "book_times.tsv"
    protocol, table6 = Notebook("protocol", "protocol"), Notebook("table6_efficiency", "table6_efficiency")
    t = 1_800_000_000.0
    rn.record_time(times, protocol, t, t + 100, "quick", "auto", 2)
    rn.record_time(times, table6, t + 10, t + 130, "quick", "auto", 2)
    rn.record_time(times, protocol, t, t + 90, "quick", "auto", 2)  # replaces protocol's row
    rows = rn.read_times(times)
    assert [r["notebook"] for r in rows] == ["table6_efficiency", "protocol"] and rows[1]["seconds"] == "90"
    assert rn.wall_span(rows) == (t, t + 130)
    rn.write_pages(times, tmp_path, rn.load_graph())
    wall = (tmp_path / "build_wall.md").read_text()
    assert "**2 min 10 s** of wall time" in wall and "2 notebooks at a time" in wall and "`claims`" in wall and "alone" in wall
    page = (tmp_path / "build_times.md").read_text()
    assert "| Table VI" in page and page.index("(`protocol`)") < page.index("(`table6_efficiency`)")  # by start
    # a subset executed an hour later: no wall time for the whole build
    rn.record_time(times, protocol, t + 3600, t + 3700, "quick", "auto", 2)
    assert rn.wall_span(rn.read_times(times)) is None
    rn.write_pages(times, tmp_path, rn.load_graph())
    assert "no wall time" in (tmp_path / "build_wall.md").read_text()


def test_a_failing_notebook_stops_the_real_runner_with_papermill_error(tmp_path):
    pytest.importorskip("papermill", reason="the 'book' extra is not installed (make book-deps)")
    pytest.importorskip("jupytext", reason="the 'book' extra is not installed (make book-deps)")
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    header = (REPO_ROOT / "notebooks" / "try_it.py").read_text().split("# %%")[0]  # jupytext + kernelspec
    cell = header + '# %% tags=["parameters"]\nprofile = "quick"\ndevice = "auto"\n\n# %%\n'
    (notebooks / "good.py").write_text(cell + "print('fine')\n")
    (notebooks / "bad.py").write_text(cell + "raise ValueError('the fake chapter broke')\n")
    (notebooks / "graph.tsv").write_text("notebook\tsource\tafter\texclusive\tpapermill\twhy\n"
                                         "good\tgood\t-\tno\t\t\nbad\tbad\tgood\tno\t\t\n")
    out, times = tmp_path / "out", tmp_path / "times.tsv"
    graph = rn.load_graph(notebooks / "graph.tsv")
    execute = rn.PapermillExecutor(out, "smoke", "cpu", tmp_path / "logs", notebooks=notebooks, cwd=tmp_path)
    with pytest.raises(rn.NotebookFailed) as err:
        rn.run_graph(graph, execute, jobs=2,
                     on_done=lambda nb, t0, t1: rn.record_time(times, nb, t0, t1, "smoke", "cpu", 2))
    assert err.value.name == "bad"
    assert "the fake chapter broke" in err.value.detail and "ValueError" in err.value.detail
    assert [r["notebook"] for r in rn.read_times(times)] == ["good"]
    assert (out / "good.ipynb").is_file() and (tmp_path / "logs" / "bad.log").is_file()
