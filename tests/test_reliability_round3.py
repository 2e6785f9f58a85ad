"""Hostile inputs, round three: nothing published is overwritten, no silently wrong number, every
refusal says what to do (one line, exit 1, nothing written).

Each test builds its input in ``tmp_path`` (tiny checkpoints, synthetic data) and runs the CLI in
process (``srlib.cli.main``) or the library function the CLI calls; nothing under the repository's
``results/`` is written (a committed weights file is only read, by a command that refuses).
"""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from srlib.cli.ablations import parse_shard
import torch
from PIL import Image, ImageOps

from srlib.cli import main
from srlib.data import load_image, save_image
from srlib.models import build_model
from srlib.training.checkpoint import save_weights

from _training_helpers import make_data_root, smooth_image, one_thread_per_module  # noqa: F401 (autouse fixture)
from conftest import REPO_ROOT

X2_KWARGS = {"scale": 2, "channels": 8, "blocks_per_level": [1], "hr_blocks": [1], "image_skip": "bicubic"}
X4_KWARGS = {"scale": 4, "channels": 8, "blocks_per_level": [1, 1], "hr_blocks": [1, 1], "image_skip": "bicubic"}


def _weights(path: Path, kwargs: dict = X2_KWARGS, **meta) -> Path:
    torch.manual_seed(0)
    net = build_model("csrcnn", **kwargs)
    save_weights(path, net.state_dict(), {"model": "csrcnn", "model_kwargs": kwargs, "scale": kwargs["scale"],
                                          "step": 0, "fade_alpha": 1.0, **meta})
    return path


def _files(*folders: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest()
            for folder in folders if folder.exists() for p in sorted(folder.rglob("*")) if p.is_file()}


def _one_line_error(capsys, code: int, command: str, *needles: str) -> str:
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert code == 1, err
    assert len(lines) == 1 and lines[0].startswith(f"srlib {command}: error: "), err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    assert "a bug?" not in lines[0]
    return lines[0]


# ------------------------------------------------------------------------------ weights know their scale
def test_evaluating_the_committed_x4_weights_at_x2_is_refused_naming_both(capsys):
    weights = REPO_ROOT / "results" / "campaign" / "x4" / "weights_fp16.safetensors"
    if not weights.is_file():
        pytest.skip("no committed x4 campaign weights")
    code = main(["evaluate", str(weights), "--dataset", "Set5", "--scale", "2", "--quiet"])
    _one_line_error(capsys, code, "evaluate", "x4", "x2", "csrcnn")


def test_a_lower_level_trained_with_the_final_loss_only_is_refused(tmp_path, capsys):
    final_only = _weights(tmp_path / "x4.safetensors", X4_KWARGS, train_config={"loss_levels": "final"})
    image = save_image(tmp_path / "in.png", smooth_image(np.random.default_rng(0), 12, 10))
    before = _files(tmp_path)
    code = main(["upscale", str(image), "--weights", str(final_only), "--scale", "2", "--quiet"])
    _one_line_error(capsys, code, "upscale", "x4 network", "x2", "--scale 4")
    assert _files(tmp_path) == before
    code = main(["upscale", str(image), "--weights", str(final_only), "--scale", "8", "--quiet"])
    _one_line_error(capsys, code, "upscale", "x4", "x8")


def test_upscale_without_scale_takes_the_weights_scale(tmp_path):
    x4 = _weights(tmp_path / "x4.safetensors", X4_KWARGS)
    image = save_image(tmp_path / "in.png", smooth_image(np.random.default_rng(0), 12, 10))
    assert main(["upscale", str(image), "--weights", str(x4), "-o", str(tmp_path / "o.png"), "--quiet"]) == 0
    assert load_image(tmp_path / "o.png").shape == (48, 40, 3)


# ------------------------------------------------------------------------------ hub arguments
@pytest.mark.parametrize("scale", [2.5, "x4", None, True, "4", 3])
def test_hub_scale_must_be_an_int_in_2_4_8(scale):
    with pytest.raises(ValueError, match=r"CSRCNN scales are 2, 4 and 8 \(an int\), got " + repr(scale).replace(".", r"\.")):
        torch.hub.load(str(REPO_ROOT), "csrcnn", source="local", scale=scale, pretrained=False)


# ------------------------------------------------------------------------------ ablation shards
@pytest.mark.parametrize("shard", ["5/2", "-1/2", "0/2", "abc", "1/0", "1/2/3", "1.5/2", ""])
def test_a_bad_shard_is_refused_in_one_line(shard, capsys):
    code = main(["ablations", "status", f"--shard={shard}", "--tables", "table2"])
    _one_line_error(capsys, code, "ablations", "--shard", "1 <= I <= N")


def test_shards_are_one_based_and_do_not_overlap(capsys):
    import srlib.ablations as ab

    def listed(shard: str) -> set[str]:
        assert main(["ablations", "status", "--shard", shard, "--tables", "table2,table3",
                     "--profile", "quick"]) == 0
        return {line.split()[1] for line in capsys.readouterr().out.splitlines() if line.startswith("  missing:")}

    missing = {u.name for u in ab.missing_units("quick", ("table2", "table3"))}
    one, two = listed("1/2"), listed("2/2")
    assert not one & two and one | two == missing
    assert listed("1/1") == missing
    assert parse_shard("2/3") == (2, 3)


# ------------------------------------------------------------------------------ images
@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_exif_orientation_is_honoured_and_the_output_is_upright(orientation, tmp_path):
    x2 = _weights(tmp_path / "x2.safetensors")
    stored = Image.fromarray(smooth_image(np.random.default_rng(0), 10, 12))  # 12 wide, 10 high as stored
    exif = Image.Exif()
    exif[0x0112] = orientation
    photo = tmp_path / "photo.jpg"
    stored.save(photo, quality=95, exif=exif)
    upright = ImageOps.exif_transpose(Image.open(photo))  # as a viewer shows it
    upright.save(tmp_path / "upright.png")
    assert main(["upscale", str(photo), "--weights", str(x2), "-o", str(tmp_path / "a.png"), "--quiet"]) == 0
    assert main(["upscale", str(tmp_path / "upright.png"), "--weights", str(x2), "-o", str(tmp_path / "b.png"),
                 "--quiet"]) == 0
    out = np.asarray(Image.open(tmp_path / "a.png"))
    assert out.shape[:2] == (2 * upright.height, 2 * upright.width)
    np.testing.assert_array_equal(out, np.asarray(Image.open(tmp_path / "b.png")))


@pytest.mark.parametrize("source, needle", [("https://example.com/a.png", "it is a URL"),
                                            ("/dev/zero", "not a regular file")])
def test_a_url_or_a_device_is_named_for_what_it_is(source, needle, tmp_path, capsys):
    x2 = _weights(tmp_path / "x2.safetensors")
    code = main(["upscale", source, "--weights", str(x2), "-o", str(tmp_path / "o.png"), "--quiet"])
    _one_line_error(capsys, code, "upscale", needle)
    assert not (tmp_path / "o.png").exists()


# ------------------------------------------------------------------------------ deterministic weight files
def test_the_same_tensors_give_the_same_bytes_in_two_processes(tmp_path):
    script = (
        "import sys, torch\n"
        "from srlib.models import build_model\n"
        "from srlib.training.checkpoint import save_weights\n"
        "torch.manual_seed(0)\n"
        f"kw = {X2_KWARGS!r}\n"
        "net = build_model('csrcnn', **kw)\n"
        "meta = {'model': 'csrcnn', 'model_kwargs': kw, 'scale': 2, 'step': 7, 'fade_alpha': 1.0,\n"
        "        'train_config': {'b': 1, 'a': 2}, 'scores': {'Set5': 1.0}, 'z': 'last', 'm': 'middle'}\n"
        "save_weights(sys.argv[1], net.state_dict(), meta)\n")
    paths = [tmp_path / f"w{i}.safetensors" for i in range(3)]
    for path in paths:
        subprocess.run([sys.executable, "-c", script, str(path)], check=True, cwd=REPO_ROOT,
                       env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"})
    assert len({p.read_bytes() for p in paths}) == 1
    from srlib.inference import load_checkpoint

    loaded = load_checkpoint(paths[0])
    assert loaded.scale == 2 and loaded.metadata["step"] == 7 and loaded.metadata["train_config"] == {"b": 1, "a": 2}


def test_committed_weights_still_load_and_match_their_recorded_sha256():
    from srlib.data.fetch import file_sha256
    from srlib.inference import load_checkpoint

    prov = REPO_ROOT / "results" / "campaign" / "x2" / "provenance.json"
    if not prov.is_file():
        pytest.skip("no committed x2 campaign stage")
    weights = prov.parent / "weights_fp16.safetensors"
    assert json.loads(prov.read_text())["weights_sha256"] == file_sha256(weights)
    assert load_checkpoint(weights).scale == 2


# ------------------------------------------------------------------------------ the campaign
@pytest.fixture(scope="module")
def stage(tmp_path_factory):
    """A finished tiny campaign stage x2 (saved, not published) and its synthetic data root."""
    from srlib import campaign
    from srlib.training import TrainingSet

    from _training_helpers import tiny_config

    base = tmp_path_factory.mktemp("campaign")
    data = make_data_root(base / "data")
    cfg = tiny_config(data, steps=10, ckpt_every=10, log_every=5)
    campaign.run("x2", cfg, results=base / "results" / "campaign", runs=base / "runs" / "campaign",
                 data=TrainingSet.from_config(cfg))
    campaign.save("x2", results=base / "results" / "campaign", runs=base / "runs" / "campaign")
    return base, data


def _publish_argv(root: Path, data: Path, *extra: str) -> list[str]:
    return ["campaign", "publish", "x2", "--root", str(root), "--datasets", "Set5", "--limit", "1", *extra]


def test_publish_never_overwrites_a_published_stage_without_force(stage, tmp_path, monkeypatch, capsys):
    import shutil

    base, data = stage
    root = tmp_path / "repo"
    shutil.copytree(base / "results", root / "results")
    monkeypatch.setenv("SRLIB_DATA_DIR", str(data))
    assert main(_publish_argv(root, data)) == 0
    capsys.readouterr()
    published = root / "results" / "campaign" / "x2"
    prov = json.loads((published / "provenance.json").read_text())
    prov["notes"] = ["a note a person wrote"]
    (published / "provenance.json").write_text(json.dumps(prov))
    before = _files(root)
    code = main(_publish_argv(root, data))
    _one_line_error(capsys, code, "campaign", "published already", "metrics.json", "--force")
    assert _files(root) == before
    assert main(_publish_argv(root, data, "--force", "--note", "again")) == 0
    assert json.loads((published / "provenance.json").read_text())["notes"] == ["again"]
    assert not [p for p in published.parent.iterdir() if p.name.startswith(".")]  # no temporary folder left


@pytest.mark.parametrize("datasets, needle", [("Foo", "Foo"), ("T91", "training set"), (",", "--datasets is empty"),
                                              ("Urban100", "Urban100")])
def test_publish_refused_for_its_datasets_writes_nothing(datasets, needle, stage, tmp_path, monkeypatch, capsys):
    import shutil

    base, data = stage
    root = tmp_path / "repo"
    shutil.copytree(base / "results", root / "results")
    monkeypatch.setenv("SRLIB_DATA_DIR", str(data))
    before = _files(root)
    code = main(["campaign", "publish", "x2", "--root", str(root), "--datasets", datasets])
    _one_line_error(capsys, code, "campaign", needle)
    assert _files(root) == before  # no weights_fp16.safetensors, no runs/ restored


@pytest.mark.parametrize("name", ["", ".", "..", "../x2", "x2/..", "a/b", "/tmp/x", ".hidden"])
@pytest.mark.parametrize("action", ["run", "save", "publish"])
def test_empty_or_path_like_stage_names_are_refused(action, name, tmp_path, capsys):
    code = main(["campaign", action, name, "--root", str(tmp_path)])
    _one_line_error(capsys, code, "campaign", "plain folder name")
    assert not any(tmp_path.iterdir())


def test_campaign_folders_are_the_repository_s_whatever_the_working_directory(tmp_path, monkeypatch, capsys):
    from srlib import campaign

    assert campaign.RESULTS_ROOT == REPO_ROOT / "results" / "campaign"
    assert campaign.RUNS_ROOT == REPO_ROOT / "runs" / "campaign"
    if not (REPO_ROOT / "results" / "campaign" / "x2" / "metrics.json").is_file():
        pytest.skip("no published x2 stage")
    monkeypatch.chdir(tmp_path)  # elsewhere: the committed stage is still the one found (and refused)
    before = _files(REPO_ROOT / "results" / "campaign" / "x2")
    code = main(["campaign", "publish", "x2", "--datasets", "Set5", "--limit", "1"])
    _one_line_error(capsys, code, "campaign", "results/campaign/x2 is published already")
    assert _files(REPO_ROOT / "results" / "campaign" / "x2") == before and not any(tmp_path.iterdir())


def test_a_run_refused_by_the_lock_records_no_piece(stage, tmp_path):
    import socket

    from srlib import campaign
    from srlib.errors import RunLockedError
    from srlib.training.lock import LOCK_NAME

    from _training_helpers import tiny_config

    _, data = stage
    results, runs = tmp_path / "results" / "campaign", tmp_path / "runs" / "campaign"
    live = runs / "x3"
    live.mkdir(parents=True)
    holder = subprocess.Popen(["sleep", "60"])  # the first `campaign run`, still training
    try:
        (live / LOCK_NAME).write_text(json.dumps({"pid": holder.pid, "host": socket.gethostname(),
                                                  "started": "now"}))
        with pytest.raises(RunLockedError, match="being written by process"):
            campaign.run("x3", tiny_config(data, steps=10), results=results, runs=runs)
    finally:
        holder.kill()
        holder.wait()
    assert sorted(p.name for p in live.iterdir()) == [LOCK_NAME]  # no phantom piece in pieces.json


# ------------------------------------------------------------------------------ train --resume
def _train_args(*argv: str):
    from srlib.cli import build_parser

    return build_parser().parse_args(["train", *argv])


def _stored_run(folder: Path, config) -> Path:
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"train_config": config.to_dict()}))
    return folder


@pytest.mark.parametrize("extra", [(), ("--scale", "2"), ("--profile", "smoke", "--scale", "2"), ("--all-stages",)])
def test_resume_with_nothing_to_resume_starts_nothing(extra, tmp_path, capsys):
    killed = tmp_path / "killed"  # killed before its config.json: an empty folder
    killed.mkdir()
    for out in (killed, tmp_path / "never-made"):
        code = main(["train", "--out", str(out), "--resume", *extra])
        _one_line_error(capsys, code, "train", "nothing to resume", str(out), "without --resume")
    assert list(tmp_path.iterdir()) == [killed] and not any(killed.iterdir())


def test_resume_reads_scale_and_profile_from_the_run_folder(tmp_path, capsys):
    from srlib.training import preset
    from srlib.cli.train import build_config

    out = _stored_run(tmp_path / "run", preset("smoke", 4, steps=33))
    for extra in ((), ("--profile", "smoke"), ("--scale", "4"), ("--steps", "40")):
        cfg = build_config(_train_args("--out", str(out), "--resume", *extra))
        assert (cfg.profile, cfg.scale, cfg.steps) == ("smoke", 4, 40 if extra == ("--steps", "40") else 33)
    for extra, needle in ((("--profile", "quick"), "--profile quick conflicts"), (("--scale", "2"), "--scale 2 conflicts")):
        code = main(["train", "--out", str(out), "--resume", *extra])
        _one_line_error(capsys, code, "train", needle, "(" + extra[0] + " " + ("smoke" if extra[0] == "--profile" else "4"))


def test_resume_of_a_curriculum_folder_resumes_all_its_stages(tmp_path):
    from srlib.training import preset
    from srlib.cli.train import build_config

    out = tmp_path / "c"
    _stored_run(out / "x2", preset("quick", 2, final_scale=8, channels=12))
    _stored_run(out / "x4", preset("quick", 4, final_scale=8, channels=12, init=str(out / "x2" / "final.safetensors")))
    args = _train_args("--out", str(out), "--resume")
    cfg = build_config(args)
    assert args.all_stages and cfg.scale == 8 and cfg.profile == "quick" and cfg.channels == 12 and not cfg.init
    top = preset("quick", 8)  # the preset's values at the final scale, as the curriculum was first given
    assert (cfg.steps, cfg.patch_size) == (top.steps, top.patch_size) != (preset("quick", 4).steps, preset("quick", 4).patch_size)


def test_a_new_run_without_scale_says_what_to_give(tmp_path, capsys):
    code = main(["train", "--out", str(tmp_path / "new"), "--profile", "smoke"])
    _one_line_error(capsys, code, "train", "--scale (2, 4 or 8)")
    assert not any(tmp_path.iterdir())


# ------------------------------------------------------------------------------ notebook parameters
NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("*.py"))


def _cells(path: Path) -> list[str]:
    text = path.read_text()
    return ["# %%" + c for c in text.split("\n# %%")[1:]]


def _parameters(path: Path) -> tuple[dict, str]:
    """The notebook's default parameters and the cell after its parameters cell."""
    cells = _cells(path)
    i = next(k for k, c in enumerate(cells) if c.startswith('# %% tags=["parameters"]'))
    values: dict = {}
    exec(cells[i], {}, values)  # noqa: S102 (the repository's own notebook)
    return values, cells[i + 1]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_checks_its_parameters_first(path):
    from srlib.book import parameters

    values, following = _parameters(path)
    assert "shared = book.shared_parameters(globals()" in following, following
    assert set(values) <= set(parameters.RULES), sorted(set(values) - set(parameters.RULES))
    parameters.check_parameters(values, profiles=("scale",) if "profiles=ab.BUDGETS" in following else ())  # defaults pass


@pytest.mark.parametrize("name, value, needle", [
    ("scale", 3, "scale=3 must be 2, 4 or 8"), ("scale", "two", "scale='two'"),
    ("profile", "nonexistent", "profile='nonexistent' must be one of"), ("overrides", "{bad", "not valid JSON"),
    ("overrides", '{"steps": -1}', "steps must be a positive integer"), ("overrides", '{"stepz": 1}', "stepz"),
    ("eval_sets", "Set5,Foo", "unknown: Foo"), ("device", "gpu", "auto, cpu"), ("retrain", 2, "retrain=2")])
def test_a_bad_notebook_parameter_is_one_line(name, value, needle):
    from srlib.book import NotebookParameterError, check_parameters

    values, _ = _parameters(REPO_ROOT / "notebooks" / "train_stage.py")
    values.update({"retrain": 0, name: value})
    with pytest.raises(NotebookParameterError) as info:
        check_parameters(values)
    assert needle in str(info.value) and "\n" not in str(info.value)
    assert info.value._render_traceback_() == [f"NotebookParameterError: {info.value}"]  # what IPython shows


def test_papermill_stops_train_stage_at_the_check_with_the_cause(tmp_path):
    papermill = pytest.importorskip("papermill")
    jupytext = pytest.importorskip("jupytext")
    pytest.importorskip("ipykernel")
    nb = jupytext.read(REPO_ROOT / "notebooks" / "train_stage.py")
    jupytext.write(nb, tmp_path / "t.ipynb")
    with pytest.raises(papermill.PapermillExecutionError) as info:
        papermill.execute_notebook(str(tmp_path / "t.ipynb"), str(tmp_path / "out.ipynb"), parameters={"scale": 3},
                                   kernel_name="python3", cwd=str(REPO_ROOT), progress_bar=False)
    err = info.value
    assert err.ename == "NotebookParameterError" and "parameter scale=3 must be 2, 4 or 8" in err.evalue
    assert len(err.traceback) <= 2, err.traceback  # the cause, not ~60 lines of traceback
