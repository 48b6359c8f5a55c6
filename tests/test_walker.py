"""Walker choice among tracks (pure; synthetic people)."""

import numpy as np
import pytest

from gaitlab.errors import AmbiguousWalkerError, ConfigError, NoPersonError
from gaitlab.model import LM
from gaitlab.pipeline import load_pipeline
from gaitlab.pose.walker import Track, choose_walker, link_candidates, parse_person_hint, walking_distance

CFG = load_pipeline().walker
FPS = 30.0


def person(x_hip: float, y_hip: float = 400.0, height: float = 300.0, phase: float = 0.0, stride: float = 0.0):
    """(33, 4) landmarks of a simple upright figure; ``stride`` = ankle offset (px) front/back."""
    lm = np.full((33, 4), np.nan)
    lm[:, 3] = 0.9
    lm[:, 2] = 0.0
    top = y_hip - 0.55 * height
    lm[LM["nose"], :2] = (x_hip, top)
    for side, sgn in (("left", 1), ("right", -1)):
        d = sgn * stride * np.sin(phase)
        lm[LM[f"{side}_shoulder"], :2] = (x_hip, y_hip - 0.35 * height)
        lm[LM[f"{side}_hip"], :2] = (x_hip, y_hip)
        lm[LM[f"{side}_knee"], :2] = (x_hip + d / 2, y_hip + 0.22 * height)
        lm[LM[f"{side}_ankle"], :2] = (x_hip + d, y_hip + 0.42 * height)
        lm[LM[f"{side}_heel"], :2] = (x_hip + d - 10, y_hip + 0.44 * height)
        lm[LM[f"{side}_foot_index"], :2] = (x_hip + d + 25, y_hip + 0.45 * height)
    return lm


def make_track(tid, rows, xs, stride=60.0, y=400.0, hist=None):
    tr = Track(tid)
    for r, x in zip(rows, xs):
        tr.add(int(r), person(x, y, phase=2 * np.pi * 0.9 * r / FPS, stride=stride))
    if hist is not None:
        tr.appearance.append(hist)
    return tr


T = np.arange(300) / FPS
RED, BLUE = np.eye(64)[3], np.eye(64)[40]


def walker(tid=0, rows=range(300), start=100.0, speed_px_s=250.0, **kw):
    rows = np.asarray(list(rows))
    return make_track(tid, rows, start + speed_px_s * (rows - rows[0]) / FPS, **kw)


def test_walker_beats_bystanders():
    walk = walker(0, hist=RED)
    stand = make_track(1, range(300), np.full(300, 900.0), stride=0.0, hist=BLUE)
    # a jumper: moves 2 body heights back and forth within a frame or two, feet together
    jump_x = 600 + 600 * (np.arange(300) % 20 < 2)
    jumper = make_track(2, range(300), jump_x, stride=0.0, hist=BLUE)
    assert walking_distance(T, walk, CFG) > 5
    assert walking_distance(T, stand, CFG) == 0
    assert walking_distance(T, jumper, CFG) == 0
    chosen, warnings = choose_walker(T, [stand, jumper, walk], CFG)
    assert chosen == [walk]
    assert any("Several people" in w for w in warnings)


def test_single_walker_has_no_warning():
    chosen, warnings = choose_walker(T, [walker()], CFG)
    assert len(chosen) == 1 and warnings == []


def test_two_people_walking_side_by_side_is_ambiguous_unless_hinted():
    a = walker(0, y=400, hist=RED)
    b = walker(1, y=420, start=160.0, hist=BLUE)
    with pytest.raises(AmbiguousWalkerError, match="--person-hint"):
        choose_walker(T, [a, b], CFG)
    hint = parse_person_hint("160,420@0")
    chosen, warnings = choose_walker(T, [a, b], CFG, hint)
    assert chosen == [b]
    assert any("at --person-hint" in w for w in warnings)


def test_walker_leaving_and_returning_is_one_person():
    first = walker(0, rows=range(0, 120), hist=RED)
    back = walker(1, rows=range(180, 300), start=1100, speed_px_s=-250, hist=RED)
    other = walker(2, rows=range(130, 170), start=300, speed_px_s=250, hist=BLUE)
    chosen, _ = choose_walker(T, [first, other, back], CFG)
    assert chosen == [first, back]


def test_nobody_and_bad_hint():
    with pytest.raises(NoPersonError):
        choose_walker(T, [], CFG)
    with pytest.raises(ConfigError, match="X,Y"):
        parse_person_hint("left person")
    with pytest.raises(ConfigError, match="Nobody was found near"):
        choose_walker(T, [walker()], CFG, parse_person_hint("100,400@30"))


def test_link_candidates_follows_two_crossing_free_people():
    cands = []
    for r in range(90):
        cands.append([person(100 + 5 * r, phase=r / 5, stride=50), person(900 - 3 * r, y_hip=380, phase=r / 5, stride=50)])
    tracks = link_candidates(T[:90], cands, CFG)
    assert len(tracks) == 2
    xs = [tr.as_arrays()[1][:, LM["left_hip"], 0] for tr in tracks]
    assert all(len(x) == 90 for x in xs)
    assert {round(x[0]) for x in xs} == {100, 900}
