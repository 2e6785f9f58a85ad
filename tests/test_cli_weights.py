"""The published weights from the command line: ``srlib weights`` lists them, ``upscale`` and
``evaluate`` use the best one per scale by default or one named, and an installed srlib (a wheel
in a fresh venv, run from another folder) finds them; the README's first three commands run."""
from __future__ import annotations

import importlib.util
import json
import math
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO_ROOT
from srlib import published
from srlib.cli import main as cli_main
from srlib.data import load_image, save_image
from srlib.training import preset

RESULTS = REPO_ROOT / "results"


def _image(path: Path, h: int = 20, w: int = 26) -> Path:
    rng = np.random.default_rng(0)
    save_image(path, rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
    return path


def _stored_set5(folder: Path) -> float:
    r = json.loads((folder / "metrics.json").read_text())["results"].get("Set5", {})
    return r["psnr"] if "psnr" in r and not r.get("subset") else -math.inf


def _hubconf():
    spec = importlib.util.spec_from_file_location("hubconf", REPO_ROOT / "hubconf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cli_json(args, capsys) -> list[dict]:
    capsys.readouterr()
    assert cli_main(args) == 0
    return json.loads(capsys.readouterr().out)


# ------------------------------------------------------------------------------------ the listing
def test_every_published_folder_is_listed_once_with_its_stored_scores(capsys, monkeypatch):
    monkeypatch.delenv(published.RESULTS_ENV, raising=False)
    rows = _cli_json(["weights", "--format", "json"], capsys)
    folders = sorted(f"{p.parent.parent.name}/{p.parent.name}" for p in RESULTS.glob("*/*/weights_fp16.safetensors"))
    assert sorted(r["name"] for r in rows) == folders and folders
    for r in rows:
        folder = RESULTS / r["name"]
        metrics = json.loads((folder / "metrics.json").read_text())["results"]
        assert r["scale"] == json.loads((folder / "metrics.json").read_text())["scale"]
        assert set(r["psnr"]) == {"Set5", "Set14", "B100", "Urban100"}
        for dataset, value in r["psnr"].items():
            assert value == (metrics[dataset]["psnr"] if dataset in metrics else None)
        assert r["parameters"] > 100_000 and r["network"]
        assert Path(r["weights"]) == folder / "weights_fp16.safetensors"


def test_each_scale_has_one_default_the_highest_stored_set5(capsys):
    rows = _cli_json(["weights", "--format", "json"], capsys)
    for scale in {r["scale"] for r in rows}:
        mine = [r for r in rows if r["scale"] == scale]
        defaults = [r for r in mine if r["default"]]
        assert len(defaults) == 1
        assert _stored_set5(RESULTS / defaults[0]["name"]) == max(_stored_set5(RESULTS / r["name"]) for r in mine)
        assert _hubconf().committed_weights(scale) == RESULTS / defaults[0]["name"] / "weights_fp16.safetensors"


def test_table_shows_the_columns_and_the_defaults(capsys):
    capsys.readouterr()
    assert cli_main(["weights"]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("name"))
    assert header.split() == ["name", "scale", "network", "params", "Set5", "Set14", "B100", "Urban100", "train",
                              "PFLOP", "default"]
    for scale, pick in published.best_per_scale().items():
        line = next(line for line in out.splitlines() if line.startswith(pick.name + " "))
        assert line.rstrip().endswith(f"x{scale} default") and pick.network in line


def test_training_compute_is_counted_from_scratch_through_each_parent():
    x2, x4 = published.find_published("campaign/x2"), published.find_published("campaign/x4")
    assert x4.record["init"]["path"].startswith("results/campaign/x2/") and x4.parent == "campaign/x2"
    assert x2.parent is None and x2.total_training_flops == x2.training_flops == x2.record["train_flops"]
    assert x4.total_training_flops == pytest.approx(x4.record["train_flops"] + x2.record["train_flops"])
    for r in published.list_published():
        parent = published.find_published(r.parent) if r.parent else None
        if r.total_training_flops is not None and parent is not None:  # own plus the parent's, from scratch
            assert r.total_training_flops == pytest.approx(r.training_flops + parent.total_training_flops)


def test_network_labels():
    assert published.network_label(preset("reference", 2).to_dict()) == "the paper's architecture"
    assert published.network_label(preset("paper", 2).to_dict()) == "the paper's architecture (image_skip none)"
    assert published.network_label(preset("campaign", 4).to_dict()) == "CPU variant (48 channels, no refined block)"
    assert (published.network_label(preset("campaign", 2, channels=64).to_dict())
            == "CPU variant (64 channels, no refined block)")
    assert (published.network_label(preset("quick", 2).to_dict())
            == "quick network (32 channels, no refined block, U blocks 4/2/1)")


def test_two_networks_never_share_a_label():
    arch = ("model", "variant", "notation", "channels", "blocks_per_level", "hr_blocks", "activation", "image_skip",
            "final_scale", "model_options")
    seen: dict[str, tuple] = {}
    configs = [r.record["config"] for r in published.list_published()]
    configs += [preset(name, 2, **extra).to_dict() for name in ("reference", "paper", "campaign", "quick")
                for extra in ({}, {"channels": 64}, {"hr_blocks": 2}, {"blocks_per_level": (2, 2, 2)})]
    for config in configs:
        label, fields = published.network_label(config), tuple(json.dumps(config.get(k)) for k in arch)
        assert seen.setdefault(label, fields) == fields, label


# ------------------------------------------------------------------------- upscale and evaluate
def test_upscale_without_weights_uses_the_default_and_says_which(tmp_path, capsys):
    img = _image(tmp_path / "photo.png")
    capsys.readouterr()
    assert cli_main(["upscale", str(img), "--scale", "4"]) == 0
    err = capsys.readouterr().err
    pick = published.best(4)
    assert f"weights {published.describe(pick)}" in err
    assert pick.network in err and "x4" in err and f"Set5 {pick.psnr('Set5'):.3f} dB" in err
    assert cli_main(["upscale", str(img), "--weights", str(pick.weights), "--scale", "4", "-o",
                     str(tmp_path / "by_path.png"), "--quiet"]) == 0
    np.testing.assert_array_equal(load_image(tmp_path / "photo_x4.png"), load_image(tmp_path / "by_path.png"))


def test_upscale_by_published_name(tmp_path, capsys):
    img = _image(tmp_path / "photo.png")
    capsys.readouterr()
    assert cli_main(["upscale", str(img), "--weights", "campaign/x4", "--scale", "4", "-o", str(tmp_path / "a.png")]) == 0
    assert "weights campaign/x4 (" in capsys.readouterr().err
    path = RESULTS / "campaign" / "x4" / "weights_fp16.safetensors"
    assert cli_main(["upscale", str(img), "--weights", str(path), "--scale", "4", "-o", str(tmp_path / "b.png"),
                     "--quiet"]) == 0
    np.testing.assert_array_equal(load_image(tmp_path / "a.png"), load_image(tmp_path / "b.png"))


@pytest.mark.parametrize("args, words", [
    (["--weights", "campaign/x5"], ["checkpoint not found: campaign/x5", "srlib weights", "campaign/x4"]),
    ([], ["give --scale", "--weights"]),
    (["--scale", "3"], ["no published weights for x3", "x2, x4, x8"]),
])
def test_upscale_refusals_are_one_line(tmp_path, capsys, args, words):
    img = _image(tmp_path / "photo.png")
    capsys.readouterr()
    assert cli_main(["upscale", str(img), *args]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("srlib upscale: error: ") and len(err.splitlines()) == 1
    assert all(w in err for w in words), err
    assert not list(tmp_path.glob("photo_x*"))


def test_results_dir_variable_points_elsewhere_and_says_what_to_do_when_absent(tmp_path, capsys, monkeypatch):
    for name in published.PUBLISHED_FILES:
        (tmp_path / "mine" / "campaign" / "x4").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(RESULTS / "campaign" / "x4" / name, tmp_path / "mine" / "campaign" / "x4" / name)
    monkeypatch.setenv(published.RESULTS_ENV, str(tmp_path / "mine"))
    rows = _cli_json(["weights", "--format", "json"], capsys)
    assert [r["name"] for r in rows] == ["campaign/x4"] and rows[0]["default"]
    # its compute from scratch was recorded when it was published: it travels with the folder
    assert rows[0]["total_training_flops"] == json.loads((RESULTS / "campaign/x4/provenance.json").read_text())[
        "train_flops_total"]
    monkeypatch.setenv(published.RESULTS_ENV, str(tmp_path / "absent"))
    for args in (["weights"], ["upscale", str(_image(tmp_path / "p.png")), "--scale", "4"]):
        capsys.readouterr()
        assert cli_main(args) == 1
        err = capsys.readouterr().err
        assert f"no published results at {tmp_path / 'absent'}" in err and published.RESULTS_ENV in err


def test_evaluate_without_weights_uses_the_default(data_root, capsys):
    capsys.readouterr()
    result = _cli_json(["evaluate", "--dataset", "Set5", "--scale", "2", "--limit", "1", "--quiet", "--format", "json",
                        "--data-dir", str(data_root)], capsys)
    pick = published.best(2)
    assert result["images"] == 1 and f":{pick.folder.name}/" in result["method"]
    rows = pick.metrics["results"]["Set5"]["per_image"]
    assert result["per_image"][0]["psnr"] == pytest.approx(rows[0]["psnr"], abs=0.01)
    assert cli_main(["evaluate", "--dataset", "Set5", "--scale", "3", "--quiet"]) == 1
    assert "no published weights for x3" in capsys.readouterr().err


# ------------------------------------------------------------ installed from a wheel, README commands
def _readme_quick_start() -> list[str]:
    text = (REPO_ROOT / "README.md").read_text()
    section = text.split("## Quick start", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line.split("#", 1)[0].strip() for line in block.splitlines() if line.startswith("python -m srlib")]


def test_readme_quick_start_gives_the_three_first_commands():
    lines = _readme_quick_start()
    assert [shlex.split(line)[3] for line in lines] == ["upscale", "evaluate", "weights"]
    assert "--weights" not in " ".join(lines) and "Set5" in lines[1]


def _build_wheel(tmp_path: Path) -> Path:
    """A wheel of this checkout, built offline from a copy (the checkout gets no build/ folder)."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "LICENSE"):
        shutil.copy2(REPO_ROOT / name, src / name)
    shutil.copytree(REPO_ROOT / "srlib", src / "srlib", ignore=shutil.ignore_patterns("__pycache__", "_results"))
    (src / "results").symlink_to(RESULTS)
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                           "--no-index", "-w", str(tmp_path / "dist"), str(src)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return next((tmp_path / "dist").glob("srlib-*.whl"))


@pytest.mark.slow
def test_installed_wheel_in_a_fresh_venv_runs_the_readme_commands(tmp_path, data_root):
    wheel = _build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    for r in published.list_published(RESULTS):
        for name in published.PUBLISHED_FILES:
            assert f"srlib/_results/{r.name}/{name}" in names
    # A fresh venv with no pip: srlib from the wheel, its dependencies (torch, ...) from this environment.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "_dependencies_of_the_test.pth").write_text("\n".join(sorted(deps)) + "\n")
    proc = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
                           "--no-index", str(wheel)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    _image(elsewhere / "photo.png")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", published.RESULTS_ENV)}
    env["SRLIB_DATA_DIR"] = str(data_root)

    def run(args):
        return subprocess.run(args, cwd=elsewhere, env=env, capture_output=True, text=True, timeout=300)

    where = run([str(python), "-c", "import srlib, srlib.published as p; print(srlib.__file__); print(p.results_root())"])
    srlib_file, root = where.stdout.split()
    assert srlib_file.startswith(str(site)) and root == str(site / "srlib" / "_results"), where.stdout + where.stderr

    upscale, evaluate, weights = (run([str(python), *shlex.split(line)[1:]]) for line in _readme_quick_start())
    pick = published.best(4, RESULTS)
    assert upscale.returncode == 0, upscale.stderr
    assert f"weights {pick.name} (" in upscale.stderr and load_image(elsewhere / "photo_x4.png").shape == (80, 104, 3)
    assert evaluate.returncode == 0, evaluate.stderr
    mean = float(re.search(r"mean\s+([\d.]+) dB", evaluate.stdout).group(1))
    assert mean == pytest.approx(pick.psnr("Set5"), abs=0.01)  # the installed weights are the published ones
    assert weights.returncode == 0, weights.stderr
    assert str(site / "srlib" / "_results") in weights.stdout
    assert all(r.name in weights.stdout for r in published.list_published(RESULTS))

    script = run([str(venv / "bin" / "srlib"), "weights", "--scale", "8", "--format", "json"])
    assert script.returncode == 0 and json.loads(script.stdout)[0]["default"], script.stderr
    env[published.RESULTS_ENV] = str(tmp_path / "absent")
    missing = run([str(venv / "bin" / "srlib"), "weights"])
    assert missing.returncode == 1 and "no published results at" in missing.stderr
