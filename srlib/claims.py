"""The paper's testable claims, each with our measurement, its uncertainty and a verdict.

Every number comes from a stored result (the ablation records of :mod:`srlib.ablations`, an
efficiency measurement, the committed campaign) or from the paper's tables and prose
(:mod:`srlib.paper`); nothing is typed here but the claims' wording and where the paper makes them.
A comparison claim "A is better than B" is judged on the difference A - B paired by seed
(:func:`srlib.ablations.verdict`); a ratio claim on the measured ratio
(:data:`RATIO_TOLERANCE`); a claim the paper makes about itself is checked against its own tables.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import pandas as pd

from . import ablations as ab
from .formatting import format_interval, format_number
from .paper import load_paper_table, paper_cell

__all__ = ["CLAIM_COLUMNS", "RATIO_TOLERANCE", "VERDICTS", "comparison_claims", "comparison_claims_by_budget",
           "verdict_changes", "at_largest_budget", "convergence_claims", "ratio_claims",
           "parameter_claims", "paper_consistency_claims", "league_claims", "untestable_claims", "format_ci", "verdict_tally",
           "tally_text", "budget_summary", "EXPLAINED"]

CLAIM_COLUMNS = ["claim", "where", "paper", "ours", "n", "budget", "verdict"]
#: Every verdict a claim can get, in the order the tally shows them. "measured, no claim" marks a
#: row shown for reference only (it is no claim and is not counted).
VERDICTS = ("held", "not held", "inconclusive at this budget", "not run yet", "not measured", "consistent",
            "differs as the paper's stated training explains", "inconsistent", "not testable here")
#: The verdict of two of the paper's numbers for one network that differ where the paper itself
#: says the networks were trained differently (Table III's over a stated number of epochs).
EXPLAINED = VERDICTS[6]
#: A claimed ratio ("about twice") holds when the measured one is within this fraction of it.
RATIO_TOLERANCE = 0.25


def format_ci(mean: float, low: float, high: float, unit: str = "dB", decimals: int = 2) -> str:
    """``'+0.12 dB [+0.03, +0.21]'`` (the mean and its 95% CI); without a CI just the mean."""
    if math.isnan(mean):
        return "not run yet"
    text = f"{format_number(mean, decimals, signed=True)} {unit}"
    if math.isnan(low):
        return f"{text} (no CI: one seed)"
    return f"{text} {format_interval(low, high, decimals, signed=True)}"


def _budget_text(records: Sequence[dict[str, Any]], specs: Sequence[tuple[str, str, str]], scale: int) -> str:
    """:func:`srlib.ablations.budget_text` of the records of ``specs`` at ``scale``."""
    return ab.budget_text([r for r in records if (r["variant"], r.get("notation", ""), r.get("tag", "")) in specs
                           and r["scale"] == scale])


#: (claim in our words, where the paper makes it, table, better row, worse row, scale, dataset,
#: paper table for the paper's difference or None)
COMPARISONS: list[tuple[str, str, str, str, str, int, str]] = [
    ("BP-U blocks beat traditional U blocks (x4)", "Table III; Table II Model3", "table3", "BP-U", "T-U", 4, "Set14"),
    ("BP-U blocks beat traditional U blocks (x4, Set5)", "Table III", "table3", "BP-U", "T-U", 4, "Set5"),
    ("BP-U blocks beat traditional U blocks (x8)", "Table III", "table3", "BP-U", "T-U", 8, "Set14"),
    ("BP-U blocks beat traditional U blocks (x8, Set5)", "Table III", "table3", "BP-U", "T-U", 8, "Set5"),
    ("curriculum training beats end-to-end training", "Table II, Sec. IV-B", "table2", "Full", "Model2", 4, "Set14"),
    ("the asymmetric cascade beats the symmetric one", "Table II", "table2", "Full", "Model1", 4, "Set14"),
    ("the full model beats FSRCNN", "Table II", "table2", "Full", "FSRCNN", 4, "Set14"),
    ("L1, then alternating L2 / L1 fine-tuning, beats L1 alone", "Sec. III-C", "losses",
     "L1, then L2 / L1 alternating", "L1 only", 4, "Set14"),
    ("a refined block beats a BP-U block in HR space (hybrid levels)", "Table IV, Sec. IV-D", "table4",
     "U2TR1 U2TR1", "U2TU1 U2TU1", 4, "Set14"),
    ("deeper is better: 4 U blocks per level beat 2 (no refined block)", "Table IV", "table4",
     "U4TR0 U4TR0", "U2TR0 U2TR0", 4, "Set14"),
    ("deeper is better: 4 U blocks per level beat 2 (two refined blocks)", "Table IV", "table4",
     "U4TR2 U4TR2", "U2TR2 U2TR2", 4, "Set14"),
    ("refined blocks help: two beat none (4 U blocks per level)", "Table IV", "table4",
     "U4TR2 U4TR2", "U4TR0 U4TR0", 4, "Set14"),
]


def _paper_difference(table: str, better: str, worse: str, scale: int, dataset: str) -> float:
    column = f"{dataset.lower()}_psnr"
    if table == "table2":
        return paper_cell("table2", model=better, column="set14_x4_psnr", missing=math.nan) - \
            paper_cell("table2", model=worse, column="set14_x4_psnr", missing=math.nan)
    if table == "table3":
        return paper_cell("table3", block=better, scale=scale, column=column, missing=math.nan) - \
            paper_cell("table3", block=worse, scale=scale, column=column, missing=math.nan)
    if table == "table4":
        return paper_cell("table4", notation=better, column=column, missing=math.nan) - \
            paper_cell("table4", notation=worse, column=column, missing=math.nan)
    return math.nan  # the loss claim has no number in the paper


def _specs(table: str, rows: Sequence[str]) -> list[tuple[str, str, str]]:
    if table == "table4":
        return [("full", row, "") for row in rows]
    out = []
    for row in rows:
        variant, _, tag = ab.TABLE_ROWS[table][row].partition(":")
        out.append((variant, "", tag))
    return out


def comparison_claims(records: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """One row per comparison claim: the paper's difference and ours (mean, 95% CI over seeds)."""
    rows = []
    for claim, where, table, better, worse, scale, dataset in COMPARISONS:
        df = ab.table_scores(records, table)
        diff = ab.paired_differences(df, worse) if not df.empty else pd.DataFrame()
        hit = diff[(diff.row == better) & (diff.scale == scale) & (diff.dataset == dataset)] if len(diff) else diff
        mean, low, high, n = (float(hit.difference.iloc[0]), float(hit.ci_low.iloc[0]), float(hit.ci_high.iloc[0]),
                              int(hit.n.iloc[0])) if len(hit) else (math.nan, math.nan, math.nan, 0)
        paper = _paper_difference(table, better, worse, scale, dataset)
        rows.append({"claim": claim, "where": where, "measure": f"{better} - {worse}, {dataset} x{scale} PSNR",
                     "paper": "not given" if math.isnan(paper) else f"{paper:+.2f} dB",
                     "ours": format_ci(mean, low, high), "n": n,
                     "budget": _budget_text(records, _specs(table, [better, worse]), scale),
                     "verdict": ab.verdict(low, high, n) if n else "not run yet",
                     "difference": mean, "ci_low": low, "ci_high": high, "paper_difference": paper})
    return pd.DataFrame(rows)


def _unit_flops(records: Sequence[dict[str, Any]], specs: Sequence[tuple[str, str, str]], scale: int) -> float:
    """Mean training FLOPs (every curriculum stage) of the records of ``specs`` at ``scale``."""
    flops = [ab.record_train_flops(r) for r in records
             if (r["variant"], r.get("notation", ""), r.get("tag", "")) in specs and r["scale"] == scale]
    return float(sum(flops) / len(flops)) if flops else math.nan


def comparison_claims_by_budget(records_by_budget: dict[str, Sequence[dict[str, Any]]]) -> pd.DataFrame:
    """:func:`comparison_claims` at each budget (``{"quick": records, "scale": records}``, smallest
    first), one row per claim and budget, with the budget's name (``budget_name``) and the mean
    training FLOPs of the two compared networks' records (``train_flops``). A claim is listed at
    a budget only when that budget trains its table."""
    frames = []
    for name, records in records_by_budget.items():
        tables = set(ab.BUDGET_TABLES.get(name, ab.ALL_TABLES))
        claims = comparison_claims(records)
        keep = [table in tables for _, _, table, *_ in COMPARISONS]
        flops = [_unit_flops(records, _specs(table, [better, worse]), scale)
                 for _, _, table, better, worse, scale, _ in COMPARISONS]
        frames.append(claims.assign(budget_name=name, train_flops=flops)[keep])
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def verdict_changes(by_budget: pd.DataFrame) -> pd.DataFrame:
    """The claims of :func:`comparison_claims_by_budget` whose verdict at the largest budget that
    judged them differs from their verdict at the smallest: claim, the two budgets and verdicts."""
    rows = []
    for claim, group in by_budget.groupby("claim", sort=False):
        judged = group[group.verdict.ne("not run yet")]
        if len(judged) >= 2 and judged.verdict.iloc[0] != judged.verdict.iloc[-1]:
            rows.append({"claim": claim, "from budget": judged.budget_name.iloc[0], "verdict then": judged.verdict.iloc[0],
                         "to budget": judged.budget_name.iloc[-1], "verdict now": judged.verdict.iloc[-1]})
    return pd.DataFrame(rows, columns=["claim", "from budget", "verdict then", "to budget", "verdict now"])


def at_largest_budget(by_budget: pd.DataFrame) -> pd.DataFrame:
    """One row per claim of :func:`comparison_claims_by_budget`: its row at the largest budget
    that has a verdict for it (else at the smallest)."""
    judged = by_budget.assign(_run=by_budget.verdict.ne("not run yet"))
    order = {name: i for i, name in enumerate(dict.fromkeys(by_budget.budget_name))}
    rank = judged.budget_name.map(order).where(judged._run, -judged.budget_name.map(order))
    judged = judged.assign(_order=rank).sort_values(["_run", "_order"], kind="stable")
    return judged.groupby("claim", sort=False).tail(1).drop(columns=["_run", "_order"]).set_index("claim") \
        .reindex(list(dict.fromkeys(by_budget.claim))).reset_index()


def _paired_ci(values: pd.Series) -> tuple[float, float, float, int]:
    m, lo, hi = ab.mean_ci(values.dropna().values)
    return m, lo, hi, int(values.notna().sum())


def convergence_claims(records: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """Figure 5 (BP-U converges faster than T-U) and Sec. IV-B (the curriculum reaches a given
    accuracy with less training than end-to-end), both as CPU-seconds to a Set5 threshold that
    every run reaches (:func:`srlib.ablations.convergence`), paired by seed: slower - faster."""
    rows = []
    for claim, where, fast, slow, scale, cumulative in [
            ("BP-U blocks converge faster than traditional U blocks", "Figure 5", "full", "tu", 2, False),
            ("the curriculum reaches a given accuracy with less training", "Sec. IV-B", "full", "model2", 4, True)]:
        conv = ab.convergence(records, [fast, slow], 4, stage=scale, cumulative=cumulative)
        wide = conv.pivot_table(index="seed", columns="variant", values="cpu_seconds") if len(conv) else pd.DataFrame()
        if fast in wide and slow in wide:
            mean, low, high, n = _paired_ci(wide[slow] - wide[fast])
            threshold = float(conv.threshold.iloc[0])
        else:
            mean = low = high = threshold = math.nan
            n = 0
        what = "curriculum (x2 then x4) vs end to end" if cumulative else "the x2 stage, from scratch"
        rows.append({"claim": claim, "where": where,
                     "measure": (f"CPU-seconds to {threshold:.2f} dB" if n else "CPU-seconds to a common PSNR")
                     + f" on Set5 x{scale}, {slow} - {fast} ({what})",
                     "paper": "shown as curves, no number", "ours": format_ci(mean, low, high, unit="CPU-s", decimals=0),
                     "n": n, "budget": _budget_text(records, [(fast, "", ""), (slow, "", "")], 4),
                     "verdict": ab.verdict(low, high, n) if n else "not run yet",
                     "difference": mean, "ci_low": low, "ci_high": high, "paper_difference": math.nan})
    return pd.DataFrame(rows)


#: What the ratio claims' columns of :func:`srlib.efficiency.efficiency_table` measure, in words.
_MEASURES = {"peak_mb": "peak memory of a forward pass", "time_ms": "time of a forward pass",
             "gflops": "FLOPs of a forward pass"}


def ratio_claims(efficiency: pd.DataFrame, symmetric: str = "CSRCNN symmetric", asymmetric: str = "CSRCNN",
                 scale: int = 8) -> pd.DataFrame:
    """Sec. IV-C: the symmetric 4-4-4 x8 cascade needs about twice the memory and the time of
    the asymmetric 6-4-2 one. ``efficiency``: :func:`srlib.efficiency.efficiency_table` rows of
    both (``method``, ``scale``, ``peak_mb``, ``time_ms``, ``gflops``)."""
    facts = load_paper_table("text_facts").set_index("key").value
    rows = []
    for claim, column, key in [("the symmetric cascade needs about twice the memory", "peak_mb", "asymmetric_memory_ratio"),
                               ("the symmetric cascade needs about twice the time", "time_ms", "asymmetric_time_ratio"),
                               ("(for reference) forward FLOPs, symmetric / asymmetric", "gflops", "")]:
        pick = efficiency[efficiency.scale == scale].set_index("method")
        ratio = float(pick.loc[symmetric, column] / pick.loc[asymmetric, column]) \
            if {symmetric, asymmetric} <= set(pick.index) else math.nan
        claimed = 1.0 / float(facts[key]) if key else math.nan
        if math.isnan(ratio) or math.isnan(claimed):
            verdict = "measured, no claim" if not key else "not measured"
        else:
            verdict = "held" if abs(ratio / claimed - 1.0) <= RATIO_TOLERANCE else "not held"
        device = str(pick["device"].iloc[0]) if "device" in pick and len(pick) else ""
        rows.append({"claim": claim, "where": "Sec. IV-C", "measure": f"{_MEASURES[column]}, x{scale}, 48x48 LR input, {device}",
                     "paper": f"{claimed:.1f}x" if key else "not given", "ours": f"{ratio:.2f}x", "n": 1,
                     "budget": "no training (a forward pass)", "verdict": verdict,
                     "difference": ratio, "ci_low": math.nan, "ci_high": math.nan, "paper_difference": claimed})
    return pd.DataFrame(rows)


def parameter_claims(efficiency: pd.DataFrame, scale: int = 8) -> pd.DataFrame:
    """Table VI: CSRCNN has fewer parameters than D-DBPN and RRDB, in the paper's counts and in
    the networks built here (exact counts, so no uncertainty)."""
    paper = load_paper_table("table6")
    paper = paper[paper.scale == scale].set_index("method").params_k
    ours = efficiency[efficiency.scale == scale].set_index("method").params_k
    rows = []
    for other in ("D-DBPN", "RRDB"):
        held = other in ours and "CSRCNN" in ours and ours["CSRCNN"] < ours[other]
        rows.append({"claim": f"CSRCNN has fewer parameters than {other}", "where": "Table VI",
                     "measure": f"parameters (K) at x{scale}, CSRCNN vs {other}",
                     "paper": f"{paper['CSRCNN']:.0f} vs {paper[other]:.0f}",
                     "ours": f"{ours.get('CSRCNN', math.nan):.0f} vs {ours.get(other, math.nan):.0f}", "n": 1,
                     "budget": "no training (parameter count)", "verdict": "held" if held else "not held",
                     "difference": math.nan, "ci_low": math.nan, "ci_high": math.nan, "paper_difference": math.nan})
    return pd.DataFrame(rows)


def paper_consistency_claims(manga109_images: int) -> pd.DataFrame:
    """Places where the paper disagrees with itself, each from its own tables and prose:
    the full CSRCNN's x4 / x8 scores in Tables II, III, IV and V; Manga109's size; the x8 ranking
    of Table V against the claim of superiority at large factors. ``manga109_images``: the
    dataset's real image count (``srlib.data`` registry)."""
    t2, t3, t4, t5 = (load_paper_table(t) for t in ("table2", "table3", "table4", "table5"))
    t6 = load_paper_table("table6")
    facts = load_paper_table("text_facts").set_index("key").value
    v = lambda scale, ds: float(t5[(t5.method == "CSRCNN") & (t5.scale == scale) & (t5.dataset == ds)].psnr.iloc[0])
    rows = []

    def add(claim, where, paper, ours, consistent, explained=False):
        rows.append({"claim": claim, "where": where, "measure": "the paper against itself", "paper": paper,
                     "ours": ours, "n": 0, "budget": "none (the paper's numbers)",
                     "verdict": "consistent" if consistent else EXPLAINED if explained else "inconsistent",
                     "difference": math.nan, "ci_low": math.nan, "ci_high": math.nan, "paper_difference": math.nan})

    full2 = float(t2[t2.model == "Full"].set14_x4_psnr.iloc[0])
    bpu4 = float(t3[(t3.block == "BP-U") & (t3.scale == 4)].set14_psnr.iloc[0])
    # Table III's networks were trained over a stated number of epochs (Sec. IV-B), the full model
    # of the other tables until its loss stopped moving: a Table III score that alone differs is explained
    why = (f"Table III's networks were trained over {facts['table3_epochs']:.0f} epochs (Sec. IV-B), the full "
           f"model of Tables II and V for about {facts['training_days']:.0f} days, until its loss was steady")
    add("the full model's x4 Set14 PSNR is one number", "Tables II, III, V",
        f"Table II {full2:.2f}, Table III BP-U {bpu4:.2f}, Table V {v(4, 'Set14'):.2f}",
        why if full2 == v(4, "Set14") != bpu4 else "", full2 == bpu4 == v(4, "Set14"),
        explained=full2 == v(4, "Set14"))
    bpu8 = float(t3[(t3.block == "BP-U") & (t3.scale == 8)].set5_psnr.iloc[0])
    add("the full model's x8 Set5 PSNR is one number", "Tables III, V",
        f"Table III BP-U {bpu8:.2f}, Table V {v(8, 'Set5'):.2f}", why if bpu8 != v(8, "Set5") else "",
        bpu8 == v(8, "Set5"), explained=True)
    u4r1 = t4[t4.notation == "U4TR1 U4TR1"].iloc[0]
    csr4 = float(t6[(t6.method == "CSRCNN") & (t6.scale == 4)].params_k.iloc[0])
    add("Table IV's U4TR1 row, which has CSRCNN x4's parameter count, has its scores", "Tables IV, V, VI",
        f"{u4r1.params_k:.0f}K vs {csr4:.0f}K; Set5 {u4r1.set5_psnr:.2f} vs {v(4, 'Set5'):.2f}, "
        f"Set14 {u4r1.set14_psnr:.2f} vs {v(4, 'Set14'):.2f}", "",
        not (u4r1.params_k == csr4 and (u4r1.set5_psnr != v(4, "Set5") or u4r1.set14_psnr != v(4, "Set14"))))
    add("Manga109 has the number of images the paper states", "Sec. IV-A",
        f"{facts['manga109_images']:.0f} images", f"{manga109_images} images in the dataset",
        int(facts["manga109_images"]) == manga109_images)
    x8 = t5[(t5.scale == 8) & t5.method.ne("Bicubic")]
    behind = [f"{ds} ({x8[x8.dataset == ds].sort_values('psnr').method.iloc[-1]} {x8[x8.dataset == ds].psnr.max():.2f} "
              f"vs {v(8, ds):.2f})" for ds in sorted(x8.dataset.unique())
              if x8[x8.dataset == ds].psnr.max() > v(8, ds)]
    add("CSRCNN is the best method at x8 in the paper's own Table V", "Abstract, Sec. V; Table V",
        "behind on " + ", ".join(behind) if behind else "best on every dataset", "", not behind)
    return pd.DataFrame(rows)


def league_claims(records: Sequence[dict[str, Any]], scale: int = 8) -> pd.DataFrame:
    """The paper's claim that CSRCNN is ahead of its peers at x``scale``, tested on networks trained
    here at one CPU budget (:mod:`srlib.league`): per peer and dataset, CSRCNN minus the peer paired
    by seed (:func:`srlib.league.claim_ahead`); "ours" names the closest rival (the smallest lead,
    or the largest deficit) with its 95 % interval. "not run yet" without league records."""
    from . import league

    rows, overall = league.claim_ahead(list(records), scale=scale)
    ours, n = "", 0
    if len(rows):
        closest = rows.sort_values("ahead").iloc[0]
        ours = (f"closest: {closest.row} on {closest.dataset}, CSRCNN minus it "
                + format_ci(closest.ahead, closest.ahead_low, closest.ahead_high))
        n = int(rows.n.min())
    budget = f"{league.BUDGETS[records[0]['profile']].cpu_seconds} CPU-s per run" if records else ""
    return pd.DataFrame([{"claim": f"CSRCNN is ahead of every peer at x{scale}, all trained here at one CPU budget",
                          "where": "Abstract, Sec. V", "paper": "ahead", "ours": ours, "n": n, "budget": budget,
                          "verdict": overall}], columns=CLAIM_COLUMNS)


def untestable_claims() -> pd.DataFrame:
    """Claims this project cannot test, and why."""
    # the claim of superiority at x8 is counted once: in the paper against itself (its Table V)
    rows = [("average feature maps gain a clearer contour from stage to stage (curriculum)", "Figure 6, Sec. IV-B",
             "a visual judgement with no measure in the paper; Figure 6's chapter shows the curriculum model's "
             "maps beside the end-to-end model's for the reader to judge")]
    return pd.DataFrame([{"claim": c, "where": w, "measure": "", "paper": "", "ours": "", "n": 0, "budget": "",
                          "verdict": "not testable here", "why": why} for c, w, why in rows])


def verdict_tally(groups: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """How many claims of each group (a name -> a frame of the functions above) got each verdict:
    one row per group and a last row ``all``, one column per verdict of :data:`VERDICTS` that
    occurs. Reference rows ("measured, no claim") are not counted."""
    counts = {name: df.verdict[df.verdict.ne("measured, no claim")].value_counts() for name, df in groups.items()}
    unknown = {v for c in counts.values() for v in c.index} - set(VERDICTS)
    if unknown:
        raise ValueError(f"unknown verdicts {sorted(unknown)}; expected some of {VERDICTS}")
    table = pd.DataFrame(counts).T.reindex(index=list(groups), columns=list(VERDICTS)).fillna(0).astype(int)
    table.loc["all"] = table.sum()
    return table.loc[:, table.loc["all"] > 0]


def tally_text(tally: pd.DataFrame) -> str:
    """``'14 claims: 3 held, 1 not held, 10 inconclusive at this budget'`` from :func:`verdict_tally`."""
    total = tally.loc["all"]
    return f"{int(total.sum())} claims: " + ", ".join(f"{int(n)} {v}" for v, n in total.items() if n)


def budget_summary(records: Sequence[dict[str, Any]]) -> tuple[pd.DataFrame, float, float]:
    """How far an ablation budget's full model gets: a one-column table (our full model's Set14
    x4 PSNR over seeds with its 95 % CI, bicubic, the paper's full model, the share of the paper's
    gain over bicubic, the CPU-hours of the result set), the share (NaN when not run) and the
    CPU-hours of every stage of ``records`` counted once (each record's stages include the earlier
    ones it started from)."""
    full = ab.table_scores(records, "table2") if records else pd.DataFrame()
    full = full[(full.row == "Full") & (full.dataset == "Set14")] if len(full) else full
    paper_full = float(load_paper_table("table2").set_index("model").loc["Full", "set14_x4_psnr"])
    paper_bicubic = paper_cell("table5", column="psnr", method="Bicubic", scale=4, dataset="Set14")
    share = math.nan
    if len(full):
        mean, low, high = ab.mean_ci(full.psnr.values)
        bicubic = float(full.bicubic_psnr.iloc[0])
        share = (mean - bicubic) / (paper_full - paper_bicubic)
        summary = pd.DataFrame({"value": [f"{mean:.2f} dB [{low:.2f}, {high:.2f}] over {len(full)} seeds",
                                          f"{bicubic:.2f} dB", f"{paper_full:.2f} dB", f"{share:.0%}"]},
                               index=["our full model, Set14 x4", "bicubic (our protocol)", "paper's full model",
                                      "share of the paper's gain over bicubic"])
    else:
        summary = pd.DataFrame({"value": ["not run yet"]}, index=["our full model, Set14 x4"])
    stages = {s["run"]: s["cpu_seconds"] for r in records for s in r["stages"]}
    hours = sum(stages.values()) / 3600
    if stages:
        summary.loc["CPU-hours of the stored result set (every stage once)"] = [f"{hours:.2f}"]
    return summary, share, hours


def budgets_reach(records_by_budget: dict[str, Sequence[dict[str, Any]]]
                  ) -> tuple[pd.DataFrame, dict[str, float], dict[str, float]]:
    """:func:`budget_summary` of each budget (``{name: records}``, smallest first) side by side:
    the table with one column per budget, and per budget the share of the paper's gain (NaN when
    not run) and the CPU-hours of its result set."""
    each = {name: budget_summary(records) for name, records in records_by_budget.items()}
    table = pd.concat({name: frame["value"] for name, (frame, _, _) in each.items()}, axis=1)
    return table, {n: share for n, (_, share, _) in each.items()}, {n: hours for n, (_, _, hours) in each.items()}

