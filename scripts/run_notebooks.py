"""Execute the book's notebooks as the dependency graph of ``notebooks/build_graph.tsv``
(``scripts/build_book.sh`` calls it: ``make book``, ``make notebooks-smoke``).

``run``: each notebook (jupytext -> papermill with ``-r profile -r device`` and its row's arguments ->
``<out>/<name>.ipynb``, code cells tagged ``hide-input``) starts once the notebooks of its ``after`` column
have finished, ``--jobs`` at a time (default: the CPU cores), highest row first; an ``exclusive`` one runs
alone. Output: ``logs/<name>.log`` beside the times file. The first failure stops the build (nothing new
starts, the running ones are stopped) with the notebook's name and the end of its log (papermill's error);
exit status 1. Each finished notebook replaces its row of the times file (seconds, profile, device, UTC times).
``pages``: ``<out>/build_times.md`` (the table book/reproduce.md includes) and ``<out>/build_wall.md`` (the
notebooks' wall time: from the start of the first to the end of the last).
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import re
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

REPO = Path(__file__).resolve().parent.parent
GRAPH = REPO / "notebooks" / "build_graph.tsv"
TIMES_HEADER = ["notebook", "seconds", "profile", "device", "jobs", "started_utc", "finished_utc"]
LOG_TAIL_LINES = 40


@dataclass(frozen=True)
class Notebook:
    name: str
    source: str
    after: tuple[str, ...] = ()
    exclusive: bool = False
    papermill: tuple[str, ...] = ()
    title: str = ""  # the page's title when one source makes several pages (train_stage)


class NotebookFailed(Exception):
    """A notebook's execution failed; ``name`` is the notebook, ``detail`` what it printed."""

    def __init__(self, name: str, detail: str = ""):
        super().__init__(f"notebook {name} failed")
        self.name, self.detail = name, detail


def load_graph(path: Path = GRAPH) -> list[Notebook]:
    """The rows of a graph file, in priority order; checks that every ``after`` names a row."""
    lines = [line for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]
    rows = list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))
    graph = [Notebook(r["notebook"], r["source"], tuple(a for a in r["after"].split(",") if a not in ("", "-")),
                      r["exclusive"] == "yes", tuple(shlex.split(r["papermill"] or "")), r.get("title") or "")
             for r in rows]
    names = [n.name for n in graph]
    for n in graph:
        unknown = [a for a in n.after if a not in names]
        if unknown or len(names) != len(set(names)):
            raise ValueError(f"{path}: {n.name}: unknown or duplicate notebook in 'after': {unknown or n.name}")
    return graph


def subset(graph: list[Notebook], only: Iterable[str]) -> list[Notebook]:
    """The rows named in ``only`` (their order among themselves kept); a dependency outside the
    subset counts as done (an earlier build executed it)."""
    wanted = list(only)
    unknown = [n for n in wanted if n not in {g.name for g in graph}]
    if unknown:
        raise ValueError(f"unknown notebook(s): {' '.join(unknown)}; known: {' '.join(g.name for g in graph)}")
    keep = [g for g in graph if g.name in wanted]
    names = {g.name for g in keep}
    return [Notebook(g.name, g.source, tuple(a for a in g.after if a in names), g.exclusive, g.papermill) for g in keep]


def default_jobs() -> int:  # the CPU cores this process may run on
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def run_graph(graph: list[Notebook], execute: Callable[[Notebook], None], jobs: int, *,
              on_done: Callable[[Notebook, float, float], None] = lambda nb, t0, t1: None,
              on_failure: Callable[[], None] = lambda: None) -> None:
    """Run ``execute(notebook)`` for every notebook in a thread once its ``after`` are done, at most
    ``jobs`` at a time, an exclusive one alone, the first rows first; ``on_done(nb, start, end)``.
    The first failure calls ``on_failure()``, starts nothing more and, once the running notebooks
    have ended, raises as :class:`NotebookFailed`."""
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    pending, done = list(graph), set()
    running: dict[Future, tuple[Notebook, float]] = {}
    failure: NotebookFailed | None = None
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        try:
            while pending or running:
                for nb in list(pending):
                    if len(running) >= jobs or any(r.exclusive for r, _ in running.values()):
                        break
                    if all(a in done for a in nb.after) and not (nb.exclusive and running):
                        pending.remove(nb)
                        running[pool.submit(execute, nb)] = (nb, time.time())
                if pending and not running:
                    waiting = {nb.name: [a for a in nb.after if a not in done] for nb in pending}
                    raise ValueError(f"the graph has a cycle or an unmet dependency: {waiting}")
                for future in wait(running, return_when=FIRST_COMPLETED)[0]:
                    nb, t0 = running.pop(future)
                    error = future.exception()
                    if error is None:
                        done.add(nb.name)
                        on_done(nb, t0, time.time())
                    elif failure is None:
                        failure = error if isinstance(error, NotebookFailed) else NotebookFailed(nb.name, repr(error))
                        pending.clear()
                        on_failure()
        except BaseException:  # Ctrl-C: the notebooks run in their own sessions, so stop them
            on_failure()
            raise
    if failure is not None:
        raise failure


def utc(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_times(path: Path) -> list[dict[str, str]]:
    """The times file's rows (none when it is missing or has an older header)."""
    lines = path.read_text().splitlines() if path.is_file() else []
    if not lines or lines[0].split("\t") != TIMES_HEADER:
        return []
    return list(csv.DictReader(lines, delimiter="\t"))


def record_time(path: Path, nb: Notebook, t0: float, t1: float, profile: str, device: str, jobs: int) -> None:
    """Replace ``nb``'s row of the times file (the others are kept: a subset build)."""
    rows = [r for r in read_times(path) if r["notebook"] != nb.name]
    rows.append({"notebook": nb.name, "seconds": str(round(t1 - t0)), "profile": profile, "device": device,
                 "jobs": str(jobs), "started_utc": utc(t0), "finished_utc": utc(t1)})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("\n".join(["\t".join(TIMES_HEADER)] + ["\t".join(r[k] for k in TIMES_HEADER) for r in rows]) + "\n")
    os.replace(tmp, path)


class PapermillExecutor:
    """Executes one notebook of the graph with jupytext and papermill (see the module docstring)."""

    def __init__(self, out: Path, profile: str, device: str, logs: Path, python: str = sys.executable,
                 retrain_dir: str = "", notebooks: Path = REPO / "notebooks", cwd: Path = REPO):
        self.out, self.profile, self.device, self.logs, self.python = Path(out), profile, device, Path(logs), python
        self.retrain_dir, self.notebooks, self.cwd = retrain_dir, Path(notebooks), Path(cwd)
        self.tmp = Path(tempfile.mkdtemp(prefix="run_notebooks-"))
        self.procs: dict[str, subprocess.Popen] = {}
        self.lock, self.stopped = threading.Lock(), False

    def _call(self, name: str, args: list[str], log) -> int:
        with self.lock:
            if self.stopped:  # another notebook failed: start nothing more
                return 1
            proc = subprocess.Popen(args, cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            self.procs[name] = proc
        try:
            return proc.wait()
        finally:
            with self.lock:
                self.procs.pop(name, None)

    def stop_all(self) -> None:
        """Stop every notebook still running (its whole process group: papermill and its kernel)."""
        with self.lock:
            self.stopped = True
            for proc in self.procs.values():
                try:
                    os.killpg(proc.pid, 15)
                except ProcessLookupError:
                    pass

    def __call__(self, nb: Notebook) -> None:
        source = self.notebooks / f"{nb.source}.py"
        output = self.out / f"{nb.name}.ipynb"
        log_path = self.logs / f"{nb.name}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self.out.mkdir(parents=True, exist_ok=True)
        print(f"== {nb.name} (notebooks/{nb.source}.py, profile {self.profile})", flush=True)
        extra = list(nb.papermill)
        if self.retrain_dir and any(line.startswith("retrain = ") for line in source.read_text().splitlines()):
            extra += ["-p", "retrain", "1", "-r", "results_dir", f"{self.retrain_dir}/ablations",
                      "-r", "runs_dir", f"{self.retrain_dir}/runs"]
        with log_path.open("w") as log:
            ok = self._call(nb.name, [self.python, "-m", "jupytext", "--quiet", "--to", "ipynb", "--output",
                                      str(self.tmp / f"{nb.name}.ipynb"), str(source)], log) == 0
            ok = ok and self._call(nb.name, [self.python, "-m", "papermill", str(self.tmp / f"{nb.name}.ipynb"),
                                             str(output), "--kernel", "python3", "--cwd", str(self.cwd),
                                             "--no-progress-bar", "--log-level", "WARNING", "-r", "profile",
                                             self.profile, "-r", "device", self.device, *extra], log) == 0
        if not ok:  # the end of the log: papermill's error
            tail = log_path.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:]
            raise NotebookFailed(nb.name, "\n".join(tail))
        import nbformat  # the 'book' extra; imported here so that the graph logic needs none

        # In the rendered book code cells start collapsed (a toggle shows them); outputs stay visible.
        book_nb = nbformat.read(output, as_version=4)
        for cell in book_nb.cells:
            if cell.cell_type == "code" and "hide-input" not in cell.metadata.setdefault("tags", []):
                cell.metadata["tags"].append("hide-input")
        for first in [c for c in book_nb.cells if c.cell_type == "markdown" and nb.title][:1]:  # its own title
            first.source = re.sub(r"^# .*$", f"# {nb.title}", first.source, count=1, flags=re.M)
        nbformat.write(book_nb, output)


def duration(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 60} min {s % 60:02d} s" if s >= 60 else f"{s} s"


def wall_span(rows: list[dict[str, str]]) -> tuple[float, float] | None:
    """``(first start, last end)`` when the rows are one execution (no gap of more than a
    minute in which none of them ran), else None (a subset re-run later)."""
    stamp = lambda text: dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()  # noqa: E731
    spans = sorted((stamp(r["started_utc"]), stamp(r["finished_utc"])) for r in rows)
    end = spans[0][1] if spans else 0.0
    for start, finish in spans[1:]:
        if start > end + 60:
            return None
        end = max(end, finish)
    return (spans[0][0], end) if spans else None


def title(nb: Notebook) -> str:
    """The chapter's heading: the row's title, else its notebook source's (``# # Table V: ...``)."""
    path = REPO / "notebooks" / f"{nb.source}.py"
    heads = [l[4:].strip() for l in path.read_text().splitlines() if l.startswith("# # ")] if path.is_file() else []
    return nb.title or (heads[0] if heads else nb.name)


def write_pages(times: Path, out: Path, graph: list[Notebook]) -> None:
    """``build_times.md`` and ``build_wall.md`` under ``out`` (see the module docstring)."""
    rows = sorted(read_times(times), key=lambda r: r["started_utc"])
    by_name = {g.name: g for g in graph}
    exclusive = " and ".join(f"`{g.name}`" for g in graph if g.exclusive)
    span, jobs = wall_span(rows), " or ".join(sorted({r["jobs"] for r in rows}))
    if span:
        wall = (f"The notebooks of this build took **{duration(span[1] - span[0])}** of wall time (from "
                f"{rows[0]['started_utc']} to {max(r['finished_utc'] for r in rows)}, {jobs} notebooks at a time; "
                f"{exclusive} alone, since their numbers are timings), measured by the build itself "
                "(`_build/book_times.tsv`).\n")
    elif rows:
        wall = ("The notebooks of this build were not all executed in one run (a subset was executed again "
                "later), so no wall time for the whole build is given; each notebook's own time is in "
                "{ref}`build-times`.\n")
    else:
        wall = "This build executed no notebook (`SKIP_EXECUTE=1` on a fresh checkout): no times were measured.\n"
    lines = ["| chapter (notebook) | seconds | time | profile | started, finished (UTC) |", "|---" * 5 + "|"]
    lines += [f"| {title(by_name.get(r['notebook'], Notebook(r['notebook'], r['notebook'])))} (`{r['notebook']}`) "
              f"| {r['seconds']} | {duration(int(r['seconds']))} | {r['profile']} "
              f"| {r['started_utc'][11:19]}, {r['finished_utc'][11:19]} |" for r in rows]  # the times of day
    total = sum(int(r["seconds"]) for r in rows)
    if rows:
        lines.append(f"| **all {len(rows)} notebooks, one after the other** | {total} | **{duration(total)}** "
                     f"| {', '.join(sorted({r['profile'] for r in rows}))} | |")
        table = ("Measured by `scripts/run_notebooks.py` when it executed each notebook of this build "
                 "(`_build/book_times.tsv`; a notebook reused from an earlier execution keeps that time), in the "
                 "order they started. " + wall.strip() + " Rendering the HTML comes on top.\n\n"
                 + "\n".join(lines) + "\n")
    else:
        table = wall
    out.mkdir(parents=True, exist_ok=True)
    (out / "build_times.md").write_text(table)
    (out / "build_wall.md").write_text(wall)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("action", choices=["run", "pages"])
    p.add_argument("--graph", type=Path, default=GRAPH)
    p.add_argument("--out", type=Path, default=REPO / "book" / "notebooks")
    p.add_argument("--times", type=Path, default=REPO / "_build" / "book_times.tsv")
    p.add_argument("--jobs", type=int, default=0, help="notebooks at a time (0: the CPU cores)")
    p.add_argument("--only", default="", help="run only these notebooks (space- or comma-separated)")
    p.add_argument("--profile", default="quick")
    p.add_argument("--device", default="auto")
    p.add_argument("--retrain-dir", default="", help="RETRAIN: where the notebooks with a retrain parameter train")
    args = p.parse_args(argv)
    graph = load_graph(args.graph)
    jobs = args.jobs or default_jobs()
    if args.action == "pages":
        write_pages(args.times, args.out, graph)
        return 0
    only = args.only.replace(",", " ").split()
    try:
        todo = subset(graph, only) if only else graph
    except ValueError as err:
        print(f"build_book: error: NOTEBOOKS: {err}", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    execute = PapermillExecutor(args.out, args.profile, args.device, args.times.parent / "logs",
                                retrain_dir=args.retrain_dir)

    def done(nb: Notebook, t0: float, t1: float) -> None:
        record_time(args.times, nb, t0, t1, args.profile, args.device, jobs)
        print(f"   {nb.name}: {round(t1 - t0)} s", flush=True)

    print(f"run_notebooks: {len(todo)} notebooks, {jobs} at a time", flush=True)
    try:
        run_graph(todo, execute, jobs, on_done=done, on_failure=execute.stop_all)
    except NotebookFailed as err:
        log = args.times.parent / "logs" / f"{err.name}.log"
        print(f"{err.detail}\nbuild_book: notebook {err.name} failed (a cell raised); its partial output is "
              f"{args.out / (err.name + '.ipynb')}, its log {log}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
