"""``--stop-by``: long commands start a unit only when it ends before a wall-clock time, and
shards of the league never overlap whatever their start times."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from srlib.cli import main
from srlib.cli.deadline import MARGIN, fits, parse_stop_by
from srlib.errors import InvalidValueError

UTC = dt.timezone.utc


def test_a_clock_time_means_the_next_such_time():
    now = dt.datetime(2026, 12, 6, 13, 0, tzinfo=UTC)
    assert parse_stop_by("14:05", now) == dt.datetime(2026, 12, 6, 14, 5, tzinfo=UTC)
    assert parse_stop_by("12:30", now) == dt.datetime(2026, 12, 7, 12, 30, tzinfo=UTC)
    assert parse_stop_by("2026-12-08T01:00", now) == dt.datetime(2026, 12, 8, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize("text", ["25:99", "soon", "14-05"])
def test_a_bad_time_is_one_clear_error(text):
    with pytest.raises(InvalidValueError, match="--stop-by .*HH:MM"):
        parse_stop_by(text)


def test_fits_keeps_a_margin():
    now = dt.datetime(2026, 12, 6, 13, 0, tzinfo=UTC)
    deadline = now + dt.timedelta(seconds=1000)
    assert fits(1000 / MARGIN - 1, deadline, now) and not fits(1000 / MARGIN + 1, deadline, now)
    assert fits(1e12, None, now)


def test_ablations_run_starts_only_the_units_that_end_in_time(monkeypatch, capsys):
    import srlib.cli.ablations as cli

    started = []
    monkeypatch.setattr(cli, "run_units", lambda todo, profile, **kw: started.extend(u.name for u in todo) or [])
    monkeypatch.setattr(cli, "estimated_wall_seconds", lambda u, p: 60.0 if u.variant == "fsrcnn" else 1e7)
    monkeypatch.setattr(cli, "missing_units", lambda p, t: [u for u in cli.units(p, t) if u.seed < 2])
    soon = (dt.datetime.now(UTC) + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    assert main(["ablations", "run", "--profile", "scale", "--stop-by", soon]) == 0
    assert started == ["fsrcnn-seed0", "fsrcnn-seed1"]
    assert "not started: full-seed0" in capsys.readouterr().out


def test_league_shards_split_the_whole_list(capsys):
    names = []
    for shard in ("1/2", "2/2"):
        assert main(["league", "status", "--profile", "smoke", "--seeds", "3", "--shard", shard]) == 0
        names.append(set(re.findall(r"missing: (\S+)", capsys.readouterr().out)))
    assert names[0] and names[1] and not names[0] & names[1]
    assert main(["league", "status", "--profile", "smoke", "--seeds", "3"]) == 0
    out = capsys.readouterr().out
    assert names[0] | names[1] == set(re.findall(r"missing: (\S+)", out))
    assert re.search(r"about \d+ min\)", out) and "h of wall time on one core" in out  # what is left, planned


def test_the_estimate_uses_the_wall_rate_of_the_stored_records(tmp_path):
    import json

    from srlib import ablations

    unit = ablations.units("scale")[0]
    assert ablations.estimated_wall_seconds(unit, "scale", tmp_path) == pytest.approx(
        ablations.unit_flops(unit, "scale") / 2e10)
    (tmp_path / "scale").mkdir()
    (tmp_path / "scale" / "x.json").write_text(json.dumps(
        {"stages": [{"wall_seconds": 100.0, "steps": 10, "train_flops_per_step": 1e12}]}))
    assert ablations.estimated_wall_seconds(unit, "scale", tmp_path) == pytest.approx(
        ablations.unit_flops(unit, "scale") / 1e11)


def test_the_league_estimate_counts_each_entrants_measured_evaluation(tmp_path, monkeypatch):
    import json

    from srlib import league

    monkeypatch.setattr(league, "RESULTS_DIR", tmp_path)
    budget = league.BUDGETS["full"].cpu_seconds
    drrn = next(u for u in league.units("full") if u.entrant.name == "DRRN" and u.scale == 4)
    srcnn = next(u for u in league.units("full") if u.entrant.name == "SRCNN" and u.scale == 4)
    assert league.estimated_wall_seconds(drrn) == pytest.approx(1.25 * budget * 2.0)  # nothing stored yet
    (tmp_path / "full").mkdir()

    def record(entrant, evaluation):
        return {"entrant": entrant, "scale": 4, "stages": [{"cpu_seconds": 100.0, "wall_seconds": 150.0}],
                "metrics": {"Set5": {}, "B100": {}}, "eval_cpu_seconds": {"Set5": evaluation / 2, "B100": evaluation / 2}}

    (tmp_path / "full" / "srcnn-x4-seed0.json").write_text(json.dumps(record("SRCNN", 100.0)))
    (tmp_path / "full" / "drrn-x4-seed0.json").write_text(json.dumps(record("DRRN", 2000.0)))
    assert league.estimated_wall_seconds(srcnn) == pytest.approx((budget + 100.0) * 1.5)
    assert league.estimated_wall_seconds(drrn) == pytest.approx((budget + 2000.0) * 1.5)
    vdsr = next(u for u in league.units("full") if u.entrant.name == "VDSR" and u.scale == 4)
    assert league.estimated_wall_seconds(vdsr) == pytest.approx((budget + 2000.0) * 1.5)  # the dearest at x4
