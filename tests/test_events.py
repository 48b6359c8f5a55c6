"""Gait events (Zeni, O'Connor, frontal ankle height) against the generated walker's true contacts."""

from dataclasses import replace

import numpy as np
import pytest

from gaitgen import generate_walk, make_pass
from gaitlab.gait.events import detect_events
from gaitlab.gait.filtering import passes_on_grid, prepare
from gaitlab.model import Pass
from gaitlab.pipeline import load_pipeline

CFG = load_pipeline()


def _events(view, direction, fps, *, method="zeni", duration_s=None, noise=False, seed=0, **events_cfg):
    pose, truth = generate_walk(view, direction, fps=fps, duration_s=duration_s, noise=noise, seed=seed)
    p = make_pass(pose, truth)
    if view == "side":
        p = replace(p, near_side=truth.near_side)
    prep = prepare(pose, CFG.filter)
    gp = passes_on_grid([p], pose.t_s, prep.t_s)
    ev = detect_events(prep.t_s, prep.landmarks, gp, 0.0, replace(CFG.events, method=method, **events_cfg),
                       prep.frame_index)
    return ev, truth, gp[0]


def _match(ev, truth, p, kind, edge=0.3):
    """(detections, truths inside the scoring window, errors s of matched pairs)."""
    true = truth.heel_strike_s if kind == "HS" else truth.toe_off_s
    errs, n_true, n_det = [], 0, 0
    for side in ("left", "right"):
        det = ev[(ev.event == kind) & (ev.side == side)].time_s.to_numpy()
        tt = np.asarray(true[side])
        tt = tt[(tt > p.start_s + edge) & (tt < p.end_s - edge)]
        n_true += len(tt)
        n_det += len(det)
        errs += [det[np.argmin(np.abs(det - x))] - x for x in tt if len(det)]
    return n_det, n_true, np.array(errs)


@pytest.mark.parametrize("direction", ["left", "right"])
@pytest.mark.parametrize("fps", [30, 60])
def test_zeni_finds_every_contact_within_its_known_bias(direction, fps):
    ev, truth, p = _events("side", direction, fps, duration_s=6)
    for kind in ("HS", "TO"):
        n_det, n_true, err = _match(ev, truth, p, kind)
        assert n_det == n_true >= 8
        assert np.abs(err).max() < 0.05, (kind, err)  # 1.5 frames at 30 fps
    # the bias correction of the pipeline file moves heel strikes later by exactly hs_offset_s
    raw, _, _ = _events("side", direction, fps, duration_s=6, hs_offset_s=0.0)
    shift = ev[ev.event == "HS"].time_s.to_numpy() - raw[raw.event == "HS"].time_s.to_numpy()
    assert np.allclose(shift, CFG.events.hs_offset_s)


def test_events_alternate_and_respect_the_edge_margin():
    ev, truth, p = _events("side", "right", 30, duration_s=6, noise=True, seed=3)
    assert ev.time_s.min() >= p.start_s + CFG.events.edge_margin_s
    assert ev.time_s.max() <= p.end_s - CFG.events.edge_margin_s
    for side, g in ev.groupby("side"):
        kinds = g.sort_values("time_s").event.to_list()
        assert all(a != b for a, b in zip(kinds, kinds[1:])), kinds
    assert set(ev.leg[ev.side == truth.near_side]) == {"near"}
    assert ev.confidence.between(0, 1).all()


def test_noisy_walk_events_stay_close():
    ev, truth, p = _events("side", "left", 30, duration_s=6, noise=True, seed=1)
    for kind in ("HS", "TO"):
        n_det, n_true, err = _match(ev, truth, p, kind)
        assert n_det == n_true
        assert np.abs(err).mean() < 0.05, (kind, err)


def test_oconnor_is_selectable():
    """Selection and bookkeeping only: the generated walker's foot heights are not realistic enough to
    score a velocity method; its accuracy is measured on motion capture (benchmarks/validate_mocap.py)."""
    ev, truth, p = _events("side", "right", 60, method="oconnor", duration_s=6)
    assert set(ev.method) == {"oconnor"}
    for kind in ("HS", "TO"):
        n_det, n_true, _ = _match(ev, truth, p, kind)
        assert abs(n_det - n_true) <= 1


@pytest.mark.parametrize("fps", [30, 60])
def test_frontal_toward_pass_gives_heel_strikes_only(fps):
    """On the gait model (planted feet; the test walker's heel keeps sliding after contact)."""
    from gaitlab.synth.gaitmodel import GaitParams, simulate

    walk = simulate(GaitParams(seed=1), fps=fps, seconds=6)
    pose = walk.project(walk.camera("front"), labels="true")
    p = Pass(pass_id=1, start=0, end=len(pose), start_s=0.0, end_s=float(pose.t_s[-1]), direction="toward",
             facing="toward", view="frontal_toward")
    prep = prepare(pose, CFG.filter)
    ev = detect_events(prep.t_s, prep.landmarks, passes_on_grid([p], pose.t_s, prep.t_s), 0.0, CFG.events)
    assert set(ev.event) == {"HS"} and set(ev.method) == {"heel_speed"}
    errs = []
    for t, side, kind in walk.events:
        if kind == "HS" and 0.3 < t < pose.t_s[-1] - 0.3:
            det = ev[ev.side == side].time_s.to_numpy()
            errs.append(det[np.argmin(np.abs(det - t))] - t)
    assert len(errs) >= 6 and len(ev) == len(errs)
    assert np.abs(errs).max() < 0.03, errs


def test_walking_away_gives_no_events_unless_asked():
    ev, truth, p = _events("front", "away", 30)
    assert ev.empty  # not validated: every cue tried was 200–400 ms early on the gait model
    pose, truth = generate_walk("front", "away", fps=30)
    prep = prepare(pose, CFG.filter)
    gp = passes_on_grid([make_pass(pose, truth)], pose.t_s, prep.t_s)
    ev = detect_events(prep.t_s, prep.landmarks, gp, 0.0, replace(CFG.events, frontal_away_events=True))
    assert set(ev.event) == {"HS"}


def test_unusable_pass_gives_no_events():
    pose, truth = generate_walk("side", "right", fps=30, duration_s=4)
    p = replace(make_pass(pose, truth), usable=False, reason="turn")
    prep = prepare(pose, CFG.filter)
    ev = detect_events(prep.t_s, prep.landmarks, passes_on_grid([p], pose.t_s, prep.t_s), 0.0, CFG.events)
    assert ev.empty and list(ev.columns)[:5] == ["pass_id", "view", "side", "leg", "event"]


def test_foot_speed_method_on_the_gait_model():
    from gaitlab.synth.gaitmodel import GaitParams, simulate

    walk = simulate(GaitParams(seed=2), fps=60, seconds=6)
    pose = walk.project(walk.camera("side"), labels="true")
    p = Pass(pass_id=1, start=0, end=len(pose), start_s=0.0, end_s=float(pose.t_s[-1]), direction="right",
             facing="right", view="sagittal", near_side="right")
    prep = prepare(pose, CFG.filter)
    ev = detect_events(prep.t_s, prep.landmarks, passes_on_grid([p], pose.t_s, prep.t_s), 0.0,
                       replace(CFG.events, method="foot_speed"))
    assert set(ev.method) == {"foot_speed"} and set(ev.event) == {"HS", "TO"}
    seen = pose.t_s[pose.tracked()]
    for t, side, kind in walk.events:
        if seen[0] + 0.7 < t < seen[-1] - 0.7:  # a swing cut by the picture's edge has no speed peak
            det = ev[(ev.side == side) & (ev.event == kind)].time_s.to_numpy()
            assert np.min(np.abs(det - t)) < 0.05, (t, side, kind)
