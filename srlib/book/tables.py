"""The paper's values beside ours: merged frames (:func:`compare`), display tables with paper |
ours | difference (:func:`comparison_table`, :func:`comparison_long`), the share of the paper's
gain over bicubic that ours reaches (:func:`gain_share`, :func:`gain_share_display`), a mean with
its confidence interval as text (:func:`format_mean_ci`, :func:`format_interval`) and the styling
every table of the book gets (:func:`styled`).
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import pandas as pd

from ..formatting import NO_VALUE, format_interval, format_mean_ci, format_number
from .grid import MISSING

__all__ = ["NO_VALUE", "best_beside_cited", "compare", "format_number", "format_interval", "format_mean_ci", "comparison_table", "comparison_long", "gain_share",
           "gain_share_display", "styled"]

def compare(paper: pd.DataFrame, ours: pd.DataFrame, on: Sequence[str], values: Sequence[str]) -> pd.DataFrame:
    """Merge the paper's values with ours on the key columns ``on``.

    For each ``v`` in ``values`` the result has ``v_paper``, ``v_ours`` and ``v_diff``
    (ours - paper). Rows of ``paper`` without a match in ``ours`` keep NaN in ``v_ours``; a
    ``status`` column of ``ours`` is carried over (``'not run'`` where there is no row).
    """
    p = paper[list(on) + list(values)].rename(columns={v: f"{v}_paper" for v in values})
    o = ours.assign(status=ours["status"] if "status" in ours.columns else "ok")
    o = o[list(on) + list(values) + ["status"]].rename(columns={v: f"{v}_ours" for v in values})
    merged = p.merge(o, on=list(on), how="left")
    merged["status"] = merged["status"].fillna("not run")
    for v in values:
        merged[f"{v}_diff"] = merged[f"{v}_ours"] - merged[f"{v}_paper"]
    return merged


def comparison_table(compared: pd.DataFrame, index: Sequence[str], value: str, decimals: int = 2,
                     columns: str | None = None) -> pd.DataFrame:
    """A display table (strings) with paper | ours | difference for ``value``.

    Args:
        compared: the output of :func:`compare`.
        index: key columns that make the rows (e.g. ``['method', 'scale']``).
        value: which value (``'psnr'``, ``'ssim'``, ...).
        columns: a key column whose values become column groups (e.g. ``'dataset'``), each with
            ``paper``, ``ours``, ``difference``; ``None``: a single group named ``value``.

    Where ours is missing, the ``ours`` cell shows the row's ``status`` (e.g. ``not available:
    Manga109 is not under the data root``) and the difference :data:`NO_VALUE`.
    """
    df = compared.copy()

    def ours_text(r):
        v = r[f"{value}_ours"]
        if v is None or (isinstance(v, float) and math.isnan(v)):
            status = str(r.get("status", "not run"))
            return status.split(":")[0] if status.startswith(MISSING) else status
        text = format_number(v, decimals)
        status = str(r.get("status", "ok"))
        return text if status == "ok" else f"{text} ({status})"

    df["paper"] = df[f"{value}_paper"].map(lambda v: format_number(v, decimals))
    df["ours"] = df.apply(ours_text, axis=1)
    df["difference"] = df[f"{value}_diff"].map(lambda v: format_number(v, decimals, signed=True))
    if columns is None:
        out = df[list(index) + ["paper", "ours", "difference"]].set_index(list(index))
        out.columns = pd.MultiIndex.from_product([[value], ["paper", "ours", "difference"]])
        return out
    order = list(dict.fromkeys(df[columns]))
    wide = df.pivot(index=list(index), columns=columns, values=["paper", "ours", "difference"])
    wide = wide.swaplevel(0, 1, axis=1)
    wide = wide.reindex(columns=pd.MultiIndex.from_product([order, ["paper", "ours", "difference"]]))
    return wide


def comparison_long(compared: pd.DataFrame, index: Sequence[str], value: str, decimals: int = 2,
                    by: str = "dataset") -> pd.DataFrame:
    """:func:`comparison_table` in long format, narrow enough for a page: one row per ``by`` x
    ``index`` (e.g. dataset, scale, method) and the columns ``paper | ours | difference | note``.

    ``ours`` is the number or, without one, the reason's head (``not available``, ``not run``,
    ``not measured``) with its details under ``note``; ``note`` also carries a qualifier of a
    number (e.g. ``first 50 of 100 images``) that the wide table puts inside the cell. Rows keep the order of ``compared``'s ``by`` values, then ``index``."""
    rows = []
    for _, r in compared.iterrows():
        v = r[f"{value}_ours"]
        status = str(r.get("status", "ok"))
        missing = v is None or (isinstance(v, float) and math.isnan(v))
        if missing:  # the reason in two parts: 'not measured' | '136 GFLOP per pass exceeds ...'
            ours, _, note = status.partition(": ")
        else:
            ours, note = format_number(v, decimals), ("" if status == "ok" else status)
        rows.append({by: r[by], **{k: r[k] for k in index}, "paper": format_number(r[f"{value}_paper"], decimals),
                     "ours": ours, "difference": format_number(r[f"{value}_diff"], decimals, signed=True),
                     "note": note})
    out = pd.DataFrame(rows, columns=[by, *index, "paper", "ours", "difference", "note"])
    order = {k: i for i, k in enumerate(dict.fromkeys(compared[by]))}
    out = out.sort_values([by, *index], key=lambda s: s.map(order) if s.name == by else s, kind="stable")
    return out.set_index([by, *index])


def gain_share(paper: pd.DataFrame, ours: pd.DataFrame, bicubic: pd.DataFrame, *, method: str = "CSRCNN"
               ) -> pd.DataFrame:
    """Our scores against the paper's, with the bicubic baseline and the share of the paper's
    gain over bicubic that ours reaches.

    Args:
        paper: the paper's Table V (``load_paper_table('table5')``: method, scale, dataset, psnr).
        ours: our rows of ``method`` (``method, scale, dataset, psnr``), e.g. from
            :func:`~srlib.book.grid.evaluate_grid` or :meth:`~srlib.published.PublishedResult.scores`.
        bicubic: our Bicubic rows on the same images (``scale, dataset, psnr``).

    Returns:
        One row per ``scale x dataset`` of ``ours``: ``scale, dataset, paper, ours, difference``
        (ours - paper), ``bicubic`` (ours), ``paper_bicubic``, ``share`` = (ours - bicubic) /
        (paper - paper's bicubic): 1 is the paper's gain, 0 is no gain over bicubic, negative is
        below bicubic.
    """
    p = paper[paper.method == method].set_index(["scale", "dataset"]).psnr
    pb = paper[paper.method == "Bicubic"].set_index(["scale", "dataset"]).psnr
    b = bicubic.set_index(["scale", "dataset"]).psnr
    rows = []
    for _, r in ours[ours.method == method].iterrows():
        key = (int(r.scale), r.dataset)
        pv, pbv = p.get(key, math.nan), pb.get(key, math.nan)
        bv = b.get(key, math.nan)
        rows.append({"scale": key[0], "dataset": key[1], "paper": pv, "ours": float(r.psnr),
                     "difference": float(r.psnr) - pv, "bicubic": bv, "paper_bicubic": pbv,
                     "share": (float(r.psnr) - bv) / (pv - pbv) if pv - pbv else math.nan})
    return pd.DataFrame(rows, columns=["scale", "dataset", "paper", "ours", "difference", "bicubic",
                                       "paper_bicubic", "share"])


def gain_share_display(frames: dict[str, pd.DataFrame], scales: Sequence[int], dataset: str = "Set5",
                       missing: str = "none committed") -> pd.DataFrame:
    """The intro's summary table: for each source (e.g. ``'this build (quick)'``, ``'best
    committed weights'``) and scale, a row of :func:`gain_share` on ``dataset`` as text with the
    columns ``paper | ours | difference | bicubic | share of the paper's gain``; a source without
    a row for a scale shows ``missing`` under ``ours``."""
    rows = []
    for source, frame in frames.items():
        for s in scales:
            hit = frame[(frame.scale == s) & (frame.dataset == dataset)]
            if not len(hit):
                rows.append({"source": source, "scale": f"x{s}", "paper": NO_VALUE, "ours": missing,
                             "difference": NO_VALUE, "bicubic": NO_VALUE, "share of the paper's gain": NO_VALUE})
                continue
            r = hit.iloc[0]
            rows.append({"source": source, "scale": f"x{s}", "paper": format_number(r.paper, 2),
                         "ours": format_number(r.ours, 2), "difference": format_number(r.difference, 2, signed=True),
                         "bicubic": format_number(r.bicubic, 2),
                         "share of the paper's gain": NO_VALUE if math.isnan(r.share) else f"{r.share:.0%}"})
    return pd.DataFrame(rows).set_index(["source", "scale"])


def best_beside_cited(paper5: pd.DataFrame, best, scale: int, datasets: Sequence[str]) -> pd.DataFrame:
    """PSNR (dB, rounded to 2 decimals) on ``datasets`` at x``scale``: the best network trained here
    (``best``, a :class:`srlib.published.PublishedResult`, or None) labelled "(ours)" above every
    row of the paper's Table V (``paper5``) labelled "(cited)"; a missing cell shows :data:`NO_VALUE`."""
    cited = paper5[(paper5.scale == scale) & paper5.dataset.isin(datasets)].pivot_table(
        index="method", columns="dataset", values="psnr", sort=False).reindex(columns=list(datasets))
    cited.index = [f"{m} (cited)" for m in cited.index]
    ours = {f"CSRCNN, {best.network} (ours)": {d: best.psnr(d) for d in datasets}} if best is not None else {}
    table = pd.concat([pd.DataFrame.from_dict(ours, orient="index", columns=list(datasets)), cited]).astype(float)
    return table.round(2).astype(object).where(table.notna(), NO_VALUE)


def styled(df: pd.DataFrame, caption: str, table_id: str, precision: int = 2):
    """``df`` as a pandas Styler with a caption, numbers shown with ``precision`` decimals (NaN as
    :data:`NO_VALUE`) and a stable ``data-srlib`` attribute, which the book's tests look for in
    the built HTML (needs jinja2, installed with the ``book`` extra)."""
    return (df.style.format(precision=precision, na_rep=NO_VALUE).set_caption(caption).set_uuid(table_id)
            .set_table_attributes(f'class="dataframe srlib-table" data-srlib="{table_id}"'))
