"""srlib.book: the book's helpers (provenance, paper | ours | difference tables, cached
evaluations, find-or-train) and Table VI's budget (srlib.efficiency), on synthetic data: no real
dataset needed."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from srlib import book, published
from srlib.data import save_image
from srlib.data.fetch import file_sha256
from srlib.efficiency import efficiency_table, forward_flops
from srlib.evaluation import bicubic_upscaler
from srlib.feature_maps import average_feature_maps


def _smooth(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.zeros((h, w, 3))
    for c in range(3):
        for _ in range(3):
            img[..., c] += np.sin(rng.uniform(0.03, 0.25) * x + rng.uniform(0.03, 0.25) * y + rng.uniform(0, 6.3))
    img = (img - img.min()) / (img.max() - img.min())
    return (img * 255).round().astype(np.uint8)


@pytest.fixture()
def tiny_root(tmp_path: Path) -> Path:
    """A data root with a synthetic 5-image Set5 and a 4-image training folder."""
    rng = np.random.default_rng(0)
    for i in range(5):
        save_image(tmp_path / "benchmark" / "Set5" / "HR" / f"s{i}.png", _smooth(rng, 48, 40 + 8 * i))
    for i in range(4):
        save_image(tmp_path / "train" / "mine" / f"t{i}.png", _smooth(rng, 64, 72))
    return tmp_path


# ------------------------------------------------------------------------------ tables
def test_compare_and_comparison_table_show_missing_datasets_as_text():
    paper = pd.DataFrame({"method": ["CSRCNN"] * 2, "scale": [4, 4], "dataset": ["Set5", "Manga109"],
                          "psnr": [32.26, 30.61]})
    ours = pd.DataFrame({"method": ["CSRCNN"] * 2, "scale": [4, 4], "dataset": ["Set5", "Manga109"],
                         "psnr": [30.0, math.nan],
                         "status": ["ok", f"{book.MISSING}: Manga109 is not under the data root"]})
    cmp = book.compare(paper, ours, on=["method", "scale", "dataset"], values=["psnr"])
    assert cmp.loc[cmp.dataset == "Set5", "psnr_diff"].item() == pytest.approx(30.0 - 32.26)
    table = book.comparison_table(cmp, ["method"], "psnr", 2, columns="dataset")
    assert list(table.columns.get_level_values(0).unique()) == ["Set5", "Manga109"]
    row = table.loc["CSRCNN"]
    assert row[("Set5", "paper")] == "32.26" and row[("Set5", "ours")] == "30.00"
    assert row[("Set5", "difference")] == "-2.26"
    assert row[("Manga109", "ours")] == book.MISSING
    assert row[("Manga109", "difference")] == book.NO_VALUE


def test_compare_marks_rows_we_did_not_run():
    paper = pd.DataFrame({"method": ["A", "B"], "psnr": [1.0, 2.0]})
    ours = pd.DataFrame({"method": ["A"], "psnr": [1.5]})
    cmp = book.compare(paper, ours, on=["method"], values=["psnr"])
    table = book.comparison_table(cmp, ["method"], "psnr", 1)
    assert table.loc["B", ("psnr", "ours")] == "not run"
    assert table.loc["A", ("psnr", "difference")] == "+0.5"


def test_format_number_and_duration():
    assert book.format_number(float("nan"), 2) == book.NO_VALUE
    assert book.format_number(0.123, 2, signed=True) == "+0.12"
    assert book.format_duration(42.25) == "42.2 s" or book.format_duration(42.25) == "42.3 s"
    assert book.format_duration(192) == "3 min 12 s"
    assert book.format_duration(3900) == "1 h 05 min"


def test_mean_and_interval_texts():
    row = {"mean": 0.1234, "ci_low": 0.02, "ci_high": 0.22}
    assert book.format_mean_ci(row) == "0.12 ± 0.10"
    assert book.format_mean_ci(row, 3, signed=True) == "+0.123 ± 0.100"
    assert book.format_mean_ci({"mean": 28.0, "ci_low": float("nan"), "ci_high": float("nan")}) == "28.00"
    assert book.format_mean_ci(None) == "not run yet" and book.format_mean_ci(None, missing="x") == "x"
    assert book.format_interval(-0.031, 0.2, 2, signed=True) == "[-0.03, +0.20]"
    assert book.format_interval(float("nan"), float("nan")) == book.NO_VALUE


def test_provenance_line_names_every_field():
    p = book.Provenance("CSRCNN x4", profile="quick", steps=150, training_images=291, device="cpu",
                        commit="abc123", wall_s=75.0)
    line = p.line()
    for part in ("CSRCNN x4", "profile quick", "150 steps", "291 training images", "device cpu", "commit abc123",
                 "wall time 1 min 15 s"):
        assert part in line
    assert "no training" in book.Provenance("Bicubic", commit="x").line()


def test_git_commit_is_a_string():
    commit = book.git_commit()
    assert isinstance(commit, str) and commit


# ------------------------------------------------------------------------------ evaluation
def test_evaluate_grid_reports_missing_datasets_and_caches(tiny_root: Path, tmp_path: Path):
    cache = tmp_path / "cache"
    first = book.evaluate_grid(bicubic_upscaler, method="Bicubic", datasets=["Set5", "Manga109"], scales=[2],
                               root=tiny_root, cache_dir=cache, cache_key="bicubic")
    set5 = first[first.dataset == "Set5"].iloc[0]
    assert set5.status == "ok" and set5.images == 5 and 20 < set5.psnr < 60 and not set5.cached
    manga = first[first.dataset == "Manga109"].iloc[0]
    assert manga.status.startswith(book.MISSING) and math.isnan(manga.psnr)
    again = book.evaluate_grid(bicubic_upscaler, method="Bicubic", datasets=["Set5"], scales=[2], root=tiny_root,
                               cache_dir=cache, cache_key="bicubic")
    assert bool(again.cached.iloc[0]) and again.psnr.iloc[0] == pytest.approx(set5.psnr)
    other_key = book.evaluate_grid(bicubic_upscaler, method="Bicubic", datasets=["Set5"], scales=[2],
                                   root=tiny_root, cache_dir=cache, cache_key="something else")
    assert not bool(other_key.cached.iloc[0])


def test_evaluate_grid_limit_is_labelled(tiny_root: Path):
    df = book.evaluate_grid(bicubic_upscaler, method="Bicubic", datasets=["Set5"], scales=[2], root=tiny_root,
                            limit=2)
    assert df.status.iloc[0] == "first 2 of 5 images" and df.images.iloc[0] == 2


def test_evaluate_grid_needs_a_cache_key_with_a_cache(tiny_root: Path, tmp_path: Path):
    with pytest.raises(ValueError, match="cache_key"):
        book.evaluate_grid(bicubic_upscaler, method="B", datasets=["Set5"], scales=[2], root=tiny_root,
                           cache_dir=tmp_path)


# ------------------------------------------------------------------------------ training configs
def test_run_key_ignores_runtime_fields_and_follows_the_init_content(tmp_path: Path):
    import torch
    from safetensors.torch import save_file

    base = book.stage_config("smoke", 2)
    assert book.run_key(base) == book.run_key(base.replace(device="cpu", progress=False, val_every=7))
    assert book.run_key(base) != book.run_key(base.replace(steps=base.steps + 1))
    a, b, c = tmp_path / "a.safetensors", tmp_path / "b.safetensors", tmp_path / "c.safetensors"
    save_file({"w": torch.zeros(3)}, str(a), metadata={"scale": "2", "step": "20"})
    save_file({"w": torch.ones(3)}, str(b), metadata={"scale": "2", "step": "20"})
    x4 = book.stage_config("smoke", 4, init=str(a))
    assert book.run_key(x4) != book.run_key(x4.replace(init=str(b)))
    _reordered_safetensors(a, c)  # equal content, other bytes: the same training
    assert book.run_key(x4) == book.run_key(x4.replace(init=str(c)))
    other = tmp_path / "x.bin"
    other.write_bytes(b"one")
    assert book.run_key(x4.replace(init=str(other))) != book.run_key(x4)


def test_stage_config_variants():
    from srlib.training import preset

    full = book.stage_config("quick", 4, "full")
    assert full.variant == "full" and full.curriculum == "progressive" and full.val_every > 0
    model2 = book.stage_config("quick", 4, "model2")
    assert model2.curriculum == "none" and model2.steps == preset("quick", 2).steps + preset("quick", 4).steps
    fsrcnn = book.stage_config("quick", 4, "fsrcnn")
    assert fsrcnn.model == "fsrcnn" and fsrcnn.steps == model2.steps
    model1 = book.stage_config("quick", 2, "model1", final_scale=4)
    assert model1.final_scale == 4
    with pytest.raises(ValueError, match="unknown variant"):
        book.stage_config("quick", 4, "nope")


def x2_run_steps(runs: Path) -> int:
    (folder,) = [p for p in (runs / "smoke").iterdir() if p.name.startswith("full-x2-")]
    return json.loads((folder / "summary.json").read_text())["steps"]


def test_find_or_train_trains_once_then_reuses(tiny_root: Path, tmp_path: Path):
    common = dict(train_sets=(str(tiny_root / "train" / "mine"),), data_root=str(tiny_root),
                  cache_dir=str(tmp_path / "datacache"), threads=1, progress=False, steps=4, log_every=2,
                  ckpt_every=2, val_limit=2, device="cpu")
    runs = tmp_path / "runs"
    first = book.curriculum_run("smoke", 4, "full", runs_dir=runs, **common)
    assert not first.reused and first.weights.is_file()
    assert first.out_dir.parent == runs / "smoke" and first.out_dir.name.startswith("full-x4-")
    x2 = [p for p in (runs / "smoke").iterdir() if p.name.startswith("full-x2-")]
    assert len(x2) == 1, "the x4 stage must train its x2 stage first"
    again = book.curriculum_run("smoke", 4, "full", runs_dir=runs, **common)
    assert again.reused and again.out_dir == first.out_dir
    log = again.log()
    assert {"step", "loss", "lr", "psnr", "wall_time"} <= set(log.columns)
    assert log.psnr.notna().any(), "book runs validate so that Figure 5 has points"
    prov = again.provenance("x4").line()
    assert "profile smoke" in prov and "4 steps" in prov and "4 training images" in prov and "reused yes" in prov
    assert again.curriculum_steps() == 8 and "curriculum steps 8 (with the earlier stages)" in prov
    chain = again.curriculum_chain()
    assert [r.out_dir for r in chain] == [x2[0], again.out_dir] and [r.config.scale for r in chain] == [2, 4]
    assert x2_run_steps(runs) == 4 and "curriculum steps" not in book.RunRecord(
        "x2", x2[0], first.config, reused=False).provenance().line()
    book_run = json.loads((again.out_dir / "book_run.json").read_text())
    assert book_run["commit"] and book_run["device"]
    up = again.upscaler(4, device="cpu")
    lr = np.zeros((10, 12, 3), np.uint8)
    assert up(lr, 4).shape == (40, 48, 3) and up(lr, 2).shape == (20, 24, 3)
    maps = average_feature_maps(again.weights, lr)
    assert list(maps) == ["level1/u", "level1/up", "level1/hr", "level2/u", "level2/up", "level2/hr"]
    assert maps["level2/hr"].shape == (40, 48)
    # the notebooks' shared helpers: a run with a budget and a name of its own gets its own
    # folder, and evaluate_runs scores several runs at their scales (cached by their weights)
    options = book.run_options(runs, "cpu", tiny_root)
    fields = {k: v for k, v in common.items() if k not in options and k != "steps"}
    row = book.curriculum_run("smoke", 2, "full", stage_steps={2: 3}, name="full-ablation", **options, **fields)
    assert row.out_dir.name.startswith("full-ablation-x2-") and row.summary["steps"] == 3
    scores = book.evaluate_runs([("x4", 4, again), ("ablation x2", 2, row)], datasets=["Set5"], root=tiny_root,
                                cache_dir=tmp_path / "evalcache", device="cpu")
    assert list(scores.method) == ["x4", "ablation x2"] and list(scores.scale) == [4, 2]
    assert scores.psnr.notna().all() and not scores.cached.any()
    cached = book.evaluate_runs([("x4", 4, again)], datasets=["Set5"], root=tiny_root,
                                cache_dir=tmp_path / "evalcache", device="cpu")
    assert cached.cached.all() and cached.psnr.iloc[0] == scores.psnr.iloc[0]


def _reordered_safetensors(src: Path, dst: Path) -> None:
    """``src`` with its header's metadata keys in reverse order (what safetensors itself does at
    random between two saves of equal checkpoints)."""
    raw = src.read_bytes()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])
    header["__metadata__"] = dict(reversed(list(header["__metadata__"].items())))
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (n - len(text))  # same length: the data offsets stay valid
    assert len(text) == n
    dst.write_bytes(raw[:8] + text + raw[8 + n:])


def test_weights_fingerprint_ignores_metadata_order_only(tmp_path: Path):
    import torch
    from safetensors.torch import load_file, save_file

    tensors = {"w": torch.arange(6, dtype=torch.float32).reshape(2, 3), "b": torch.ones(3)}
    a, b, c = tmp_path / "a.safetensors", tmp_path / "b.safetensors", tmp_path / "c.safetensors"
    save_file(tensors, str(a), metadata={"scale": "2", "model": "csrcnn", "step": "500"})
    _reordered_safetensors(a, b)
    assert file_sha256(a) != file_sha256(b), "the reordered copy must differ byte for byte"
    assert all(torch.equal(load_file(str(b))[k], v) for k, v in tensors.items())
    assert book.weights_fingerprint(a) == book.weights_fingerprint(b)
    save_file({**tensors, "b": torch.ones(3) * 2}, str(c), metadata={"scale": "2", "model": "csrcnn", "step": "500"})
    assert book.weights_fingerprint(c) != book.weights_fingerprint(a)
    save_file(tensors, str(c), metadata={"scale": "4", "model": "csrcnn", "step": "500"})
    assert book.weights_fingerprint(c) != book.weights_fingerprint(a), "metadata values still count"
    other = tmp_path / "w.pt"
    other.write_bytes(b"not safetensors")
    assert book.weights_fingerprint(other) == file_sha256(other)
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\xff" * 16)
    with pytest.raises(ValueError, match="not a safetensors file"):
        book.weights_fingerprint(bad)


def test_run_options():
    assert book.run_options("r", "cpu") == {"runs_dir": "r", "device": "cpu", "progress": False}
    assert book.run_options("r", "cpu", "/data")["data_root"] == "/data"
    assert book.evaluate_runs([], datasets=["Set5"]).empty


def test_published_results_absent_is_empty(tmp_path: Path):
    assert published.best_per_scale(tmp_path / "nothing") == {} and published.list_published(tmp_path / "no") == []


def test_published_results_need_all_three_files(tmp_path: Path):
    import shutil

    src = book.REPO_ROOT / "results" / "reference" / "x2"
    folder = tmp_path / "reference" / "x2"
    folder.mkdir(parents=True)
    for name in published.PUBLISHED_FILES[1:]:  # no weights
        shutil.copy(src / name, folder / name)
    assert published.list_published(tmp_path) == []
    shutil.copy(src / published.PUBLISHED_FILES[0], folder / published.PUBLISHED_FILES[0])
    assert [r.name for r in published.list_published(tmp_path)] == ["reference/x2"]


def test_committed_reference_reads_like_a_run():
    ref = published.find_published("reference/x2", "results")
    assert ref is not None, "results/reference/x2 is committed"
    scores = ref.scores()
    assert list(scores.columns) == book.EVAL_COLUMNS
    stored = ref.metrics["results"]
    assert set(scores.dataset) == set(stored)
    set5 = scores.set_index("dataset").loc["Set5"]
    assert set5.psnr == pytest.approx(stored["Set5"]["psnr"]) and set5.status == "ok" and set5.cached
    from srlib.models import build_model
    from srlib.profiling import count_parameters

    assert ref.parameters() == count_parameters(build_model(*ref.config.model_spec()[:1], **ref.config.model_spec()[1]))
    line = ref.provenance("reference x2").line()
    rec = ref.record
    assert f"{rec['steps']} steps" in line and "profile reference" in line and rec["git_commit"][:10] in line
    assert "status incomplete" in line or rec["status"] == "complete"
    lr = np.zeros((6, 7, 3), np.uint8)
    assert ref.upscaler(2, device="cpu")(lr, 2).shape == (12, 14, 3)


# ------------------------------------------------------------------------------ Table VI helpers
def test_forward_flops_grows_with_scale_for_pre_upsampling_models():
    small, large = forward_flops("srcnn", 2, 16), forward_flops("srcnn", 4, 16)
    assert large == pytest.approx(4 * small, rel=0.01)
    assert forward_flops("fsrcnn", 2, 16) > 0


def test_efficiency_table_skips_cells_over_the_budget():
    df = efficiency_table(["fsrcnn", "srcnn"], [2], size=16, device="cpu", max_gflops=0.05, repeats=1)
    fsr, src = df.set_index("model").loc["fsrcnn"], df.set_index("model").loc["srcnn"]
    assert fsr.status == "ok" and fsr.time_ms > 0 and fsr.params_k == pytest.approx(12.809, abs=0.5)
    assert src.status.startswith("not measured") and math.isnan(src.time_ms) and src.params_k > 50


def test_matlab_lr_check_without_files_is_empty(tmp_path: Path):
    assert book.matlab_lr_check(tmp_path).empty


def test_architecture_signature_follows_the_built_network():
    base = book.stage_config("smoke", 2)
    sig = book.architecture_signature(base)
    assert sig == book.architecture_signature(base.replace(device="cpu"))
    assert sig != book.architecture_signature(base.replace(channels=base.channels * 2))
    assert sig != book.architecture_signature(base.replace(model_options={"fusion": "conv1x1"})) or \
        base.model_spec()[1].get("fusion") == "conv1x1"


def test_stage_steps_set_the_budget_of_stages_and_end_to_end_runs():
    assert book.stage_config("quick", 4, "full", stage_steps={2: 10, 4: 5}).steps == 5
    assert book.stage_config("quick", 4, "model2", stage_steps={2: 10, 4: 5}).steps == 15
    assert book.stage_config("quick", 4, "fsrcnn", stage_steps={"2": 10, "4": 5}).steps == 15


def test_best_beside_cited_puts_ours_above_the_papers_rows():
    import pandas as pd

    from srlib import book
    from srlib.paper import load_paper_table

    class Best:
        network = "CPU variant (48 channels, no refined block)"

        def psnr(self, dataset):
            return {"Set5": 31.3864, "Set14": float("nan")}[dataset]

    paper5 = load_paper_table("table5")
    table = book.best_beside_cited(paper5, Best(), 4, ["Set5", "Set14"])
    assert table.index[0] == "CSRCNN, CPU variant (48 channels, no refined block) (ours)"
    assert table.iloc[0].tolist() == [31.39, book.NO_VALUE]
    assert "VDSR (cited)" in table.index and len(table) == 1 + paper5[paper5.scale == 4].method.nunique()
    assert book.best_beside_cited(paper5, None, 4, ["Set5"]).index[0].endswith("(cited)")


def test_committed_weights_are_shown_per_network_never_two_networks_under_one_label():
    from srlib import book, published
    from srlib.paper import load_paper_table
    from srlib.repository import REPO_ROOT

    root = REPO_ROOT / "results"
    by_network = book.best_by_network(root, (2, 4, 8))
    assert list(by_network)[0] == "the paper's architecture"  # first, then the CPU variants by name
    for label, refs in by_network.items():
        assert all(r.network == label for r in refs.values())
        for scale, ref in refs.items():  # each network's best of that scale
            same = [r for r in published.list_published(root, (scale,)) if r.network == label]
            assert ref.psnr("Set5") == max(r.psnr("Set5") or -1 for r in same)
    compared = book.compare_by_network(load_paper_table("table5"), by_network, ["Set5", "Set14"])
    assert set(compared.network) == set(by_network) and set(compared.dataset) == {"Set5", "Set14"}
    paper_x4 = compared[(compared.network == "the paper's architecture") & (compared.scale == 4)
                        & (compared.dataset == "Set5")]
    assert paper_x4.psnr_ours.iloc[0] == published.find_published("campaign/paper-x4", root).psnr("Set5")
    assert book.compare_by_network(load_paper_table("table5"), {}, ["Set5"]).empty
