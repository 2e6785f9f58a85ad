"""The notebooks' papermill parameters, checked before any work: one clear line for a bad value.

Every notebook calls :func:`check_parameters` in the cell after its ``parameters`` cell, with its
globals: each parameter it knows (:data:`RULES`, by name) is checked, then the ones that only make
sense together (``overrides`` against the ``profile`` and ``scale``). A bad value stops the
notebook with :class:`NotebookParameterError`, which IPython (and so papermill) shows as its one
line instead of a traceback: ``NotebookParameterError: parameter scale=3: ...``.

:func:`shared_parameters` does that check and returns :class:`Shared`: what the notebooks derive
from the parameters they have in common (the data root, the lists of scales and benchmarks, the
training and ablation-record options, the profile's Table V / VI budgets), derived once here.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from ..errors import InvalidValueError

__all__ = ["NotebookParameterError", "RULES", "check_parameters", "Shared", "shared_parameters"]


class NotebookParameterError(InvalidValueError):
    """A notebook parameter outside what the notebook can use; shown as one line by IPython."""

    def _render_traceback_(self) -> list[str]:  # IPython's hook: the lines shown instead of a traceback
        return [f"{type(self).__name__}: {self}"]


def _int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, str):
        return int(value.strip())
    if isinstance(value, float) and not value.is_integer():
        raise ValueError
    return int(value)


def _one_of(*allowed: Any) -> Callable[[Any], str | None]:
    def check(value):
        return None if value in allowed else f"must be one of {', '.join(map(str, allowed))}"
    return check


def _int_at_least(low: int) -> Callable[[Any], str | None]:
    def check(value):
        try:
            return None if _int(value) >= low else f"must be an integer >= {low}"
        except (TypeError, ValueError):
            return f"must be an integer >= {low}"
    return check


def _fraction(value: Any) -> str | None:
    try:
        return None if 0.0 < float(value) <= 1.0 and not isinstance(value, bool) else "must be a number in (0, 1]"
    except (TypeError, ValueError):
        return "must be a number in (0, 1]"


def _scale(value: Any) -> str | None:
    try:
        return None if _int(value) in (2, 4, 8) else "must be 2, 4 or 8"
    except (TypeError, ValueError):
        return "must be 2, 4 or 8"


def _scales(value: Any) -> str | None:
    items = [s.strip() for s in str(value).split(",") if s.strip()]
    try:
        ok = bool(items) and all(_int(s) in (2, 3, 4, 8) for s in items)
    except ValueError:
        ok = False
    return None if ok else "must be a comma-separated list of 2, 3, 4, 8 (e.g. '2,4,8')"


def _benchmarks(value: Any) -> str | None:
    from ..data import DATASETS

    known = [d.name for d in DATASETS.values() if d.kind == "benchmark"]
    items = [s.strip() for s in str(value).split(",") if s.strip()]
    bad = [s for s in items if s not in known]
    if not items or bad:
        return f"must name benchmarks among {', '.join(known)}" + (f" (unknown: {', '.join(bad)})" if bad else "")
    return None


def _profile(value: Any, extra: Iterable[str] = ()) -> str | None:
    from ..training import PRESETS

    known = sorted(set(PRESETS) | set(extra))
    return None if value in known else f"must be one of {', '.join(known)}"


def _device(value: Any) -> str | None:
    text = str(value)
    ok = text in ("auto", "cpu", "cuda", "mps") or (text.startswith("cuda:") and text[5:].isdigit())
    return None if ok else "must be auto, cpu, cuda, cuda:N or mps"


def _folder_or_empty(value: Any) -> str | None:
    if not isinstance(value, str):
        return "must be a folder path (a string; empty for the default)"
    return None if not value or Path(value).expanduser().is_dir() else "is not a folder"


def _path_text(value: Any) -> str | None:
    return None if isinstance(value, str) and value.strip() else "must be a non-empty path"


def _json_object(value: Any) -> str | None:
    if isinstance(value, dict):
        return None
    try:
        parsed = json.loads(value) if isinstance(value, str) else None
    except ValueError as err:
        return f"is not valid JSON ({err})"
    return None if isinstance(parsed, dict) else "must be a JSON object, e.g. {\"steps\": 50}"


def _partial(value: Any) -> str | None:
    if value == "":
        return None
    problem = _json_object(value)
    if problem:
        return problem
    limits = json.loads(value) if isinstance(value, str) else value
    bad = [k for k, v in limits.items() if _benchmarks(k) or _int_at_least(1)(v)]
    return f"must map benchmarks to image counts >= 1 (bad: {', '.join(map(str, bad))})" if bad else None


def _models(value: Any) -> str | None:
    from ..models import list_models

    known = list_models()
    bad = [m.strip() for m in str(value).split(",") if m.strip() and m.strip() not in known]
    return f"has unknown models {', '.join(bad)} (known: {', '.join(known)})" if bad or not str(value).strip() else None


def _variant(value: Any) -> str | None:
    from ..training.runs import STAGE_VARIANTS

    return _one_of(*STAGE_VARIANTS)(value)


def _max_gflops(value: Any) -> str | None:
    try:
        ok = float(value) == -1.0 or float(value) >= 0.0
    except (TypeError, ValueError):
        ok = False
    return None if ok else "must be -1 (the profile's budget), 0 (everything) or a positive number"


#: parameter name -> check (``None``: fine; else what is wrong, completing "parameter NAME=VALUE ...").
RULES: dict[str, Callable[[Any], str | None]] = {
    "profile": _profile, "device": _device, "scale": _scale, "scales": _scales, "datasets": _benchmarks,
    "eval_sets": _benchmarks, "dataset": _benchmarks, "data_dir": _folder_or_empty, "runs_dir": _path_text,
    "results_dir": _path_text, "cache_dir": _path_text, "campaign_dir": _path_text, "published_dir": _path_text,
    "overrides": _json_object, "partial": _partial, "variant": _variant, "retrain": _one_of(0, 1, "0", "1", True, False),
    "jobs": _int_at_least(1), "repeats": _int_at_least(1), "size": _int_at_least(8), "native_side": _int_at_least(8),
    "crop": _fraction, "crop_fraction": _fraction, "fit_from": _fraction, "models": _models,
    "max_gflops": _max_gflops, "mode": _one_of("degrade", "enlarge"), "init": lambda v: None if isinstance(v, str)
    else "must be '', 'previous' or a checkpoint path", "image": lambda v: None if isinstance(v, str) else
    "must be a string",
}


def check_parameters(values: Mapping[str, Any], profiles: Iterable[str] = ()) -> None:
    """Check the notebook parameters among ``values`` (a notebook passes ``globals()``) by
    :data:`RULES`; raise :class:`NotebookParameterError` (one line) at the first bad one.
    ``profiles``: names a ``profile`` may take besides the training presets (the ablation
    notebooks pass their budgets, ``srlib.ablations.BUDGETS``)."""
    for name, rule in RULES.items():
        if name in values:
            problem = _profile(values[name], profiles) if name == "profile" else rule(values[name])
            if problem:
                raise NotebookParameterError(f"parameter {name}={values[name]!r} {problem}")
    if "overrides" in values and "profile" in values and "scale" in values:
        from ..training import TrainConfig, preset

        extra = json.loads(values["overrides"]) if isinstance(values["overrides"], str) else dict(values["overrides"])
        known = {f for f in TrainConfig.__dataclass_fields__}
        unknown = sorted(set(extra) - known)
        if unknown:
            raise NotebookParameterError(f"parameter overrides={values['overrides']!r} names no TrainConfig field "
                                         f"{', '.join(unknown)}")
        try:
            preset(values["profile"], _int(values["scale"]), **extra)
        except (TypeError, ValueError, KeyError) as err:
            reason = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise NotebookParameterError(f"parameter overrides={values['overrides']!r}: {reason}") from None


def _items(value: Any) -> list[str]:
    return [s.strip() for s in str(value).split(",") if s.strip()]


@dataclass(frozen=True)
class Shared:
    """What a notebook derives from its papermill parameters (:func:`shared_parameters`); a field
    whose parameter the notebook does not have keeps its empty default."""

    profile: str = "quick"
    device: str = "auto"
    #: ``data_dir`` resolved: the folder given, else ``$SRLIB_DATA_DIR``, else ``./data``.
    root: Path = Path("data")
    #: ``scales`` ("2,4,8") as integers, or ``[scale]``.
    scales: list[int] = field(default_factory=list)
    #: ``datasets`` (or ``eval_sets``) as a list of benchmark names.
    datasets: list[str] = field(default_factory=list)
    #: Keyword arguments of every training of the notebook (:func:`srlib.book.run_options`).
    run_options: dict[str, Any] = field(default_factory=dict)
    #: Keyword arguments of :func:`srlib.ablations.records_for` (where the records are, retraining).
    record_options: dict[str, Any] = field(default_factory=dict)
    #: Table V: benchmarks evaluated on their first N images (``partial``, else the profile's
    #: :data:`srlib.profiles.TABLE5_PARTIAL`).
    partial: dict[str, int] = field(default_factory=dict)
    #: Table VI: largest forward pass measured, GFLOP (``max_gflops``; -1: the profile's
    #: :data:`srlib.profiles.TABLE6_GFLOP_BUDGET`; 0: no limit).
    max_gflops: float = 0.0
    #: When the notebook started its work (``time.perf_counter``).
    start: float = field(default_factory=time.perf_counter)


def shared_parameters(values: Mapping[str, Any], profiles: Iterable[str] = ()) -> Shared:
    """Check a notebook's parameters (:func:`check_parameters`, ``values``: its ``globals()``)
    and derive what the notebooks have in common from them, as :class:`Shared`."""
    from ..data import data_root
    from ..profiles import TABLE5_PARTIAL, TABLE6_GFLOP_BUDGET

    check_parameters(values, profiles)
    profile, device, data_dir = values.get("profile", "quick"), values.get("device", "auto"), values.get("data_dir", "")
    derived: dict[str, Any] = {"profile": profile, "device": device, "root": data_root(data_dir or None)}
    if "scales" in values or "scale" in values:
        derived["scales"] = [_int(s) for s in _items(values["scales"])] if "scales" in values else [_int(values["scale"])]
    if "datasets" in values or "eval_sets" in values:
        derived["datasets"] = _items(values["datasets"] if "datasets" in values else values["eval_sets"])
    if "runs_dir" in values and "results_dir" in values and "retrain" in values and "jobs" in values:
        derived["record_options"] = dict(results_dir=values["results_dir"], runs_dir=values["runs_dir"],
                                         retrain=bool(int(values["retrain"])), jobs=int(values["jobs"]),
                                         data_root=data_dir or None)
    if "runs_dir" in values:
        from .runs import run_options

        derived["run_options"] = run_options(values["runs_dir"], device, data_dir)
    if "partial" in values:
        partial = values["partial"]
        derived["partial"] = ((json.loads(partial) if partial else TABLE5_PARTIAL.get(profile) or {})
                              if isinstance(partial, str) else dict(partial))
    if "max_gflops" in values:
        given = float(values["max_gflops"])
        derived["max_gflops"] = TABLE6_GFLOP_BUDGET.get(profile, 0.0) if given < 0 else given
    return Shared(**derived)
