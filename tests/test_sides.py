"""Left/right identity correction (gaitlab.pose.sides) on synthetic walks from tests/gaitgen.py."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

try:  # tests/ as a package (tests/__init__.py) or as plain rootdir modules
    from .gaitgen import (generate_walk, group_separation, inject_glitches, inject_partial_swaps, inject_swaps,
                          leg_separation, make_pass, mediapipe_style)
except ImportError:
    from gaitgen import (generate_walk, group_separation, inject_glitches, inject_partial_swaps, inject_swaps,
                         leg_separation, make_pass, mediapipe_style)
from gaitlab.model import LEG_PAIRS, LM, Pass, PoseSequence
from gaitlab.pipeline import load_pipeline
from gaitlab.pose.sides import assign_sides, correct_leg_swaps, with_swap_counts

CFG = load_pipeline().sides
LIMB = [i for pair in LEG_PAIRS[1:] for i in pair]
INDISTINCT_LL = 0.1  # legs closer than this (leg lengths) are excluded from the counts (brief)


def _rates(truth, injected, swapped, extra_excluded=None):
    """(% of injected frames swapped back, % of clean frames changed), legs < 0.1 LL apart excluded."""
    valid = leg_separation(truth.clean_landmarks, truth.leg_length_px) >= INDISTINCT_LL
    if extra_excluded is not None:
        valid &= ~extra_excluded
    restored = 100.0 * np.count_nonzero(swapped & injected & valid) / max(1, np.count_nonzero(injected & valid))
    false = 100.0 * np.count_nonzero(swapped & ~injected & valid) / max(1, np.count_nonzero(~injected & valid))
    return restored, false


# ------------------------------------------------------------------------------------------ generator
@pytest.mark.parametrize("direction", ["left", "right"])
def test_generator_side_view_is_mediapipe_like(direction):
    pose, truth = generate_walk("side", direction, fps=30, noise=False)
    lm = pose.landmarks
    near, far = (direction, "left" if direction == "right" else "right")
    assert truth.near_side == near and truth.view == "sagittal" and truth.facing == direction
    assert np.median(lm[:, LM[f"{near}_knee"], 2]) < np.median(lm[:, LM[f"{far}_knee"], 2])
    assert lm[:, LM[f"{near}_ankle"], 3].min() > 0.9
    far_vis = lm[:, LM[f"{far}_ankle"], 3]
    assert far_vis.min() >= 0.35 - 1e-9 and far_vis.max() <= 0.85 + 1e-9 and far_vis.min() < 0.5
    hip_x = lm[:, LM["left_hip"], 0]
    assert (hip_x[-1] - hip_x[0]) * (1 if direction == "right" else -1) > 0.3 * pose.width_px
    # legs cross twice per stride; knee flexion like normal gait
    forward = 1 if direction == "right" else -1
    ahead = np.sign(forward * (lm[:, LM["left_ankle"], 0] - lm[:, LM["right_ankle"], 0]))
    n_cross = np.count_nonzero(np.diff(ahead) != 0)
    strides = pose.t_s[-1] / 1.1
    assert abs(n_cross - 2 * strides) <= 2
    assert 55 < truth.knee_flexion_deg.max() < 70 and truth.knee_flexion_deg.min() < 6


@pytest.mark.parametrize("direction,mirrored", [("toward", False), ("away", False), ("toward", True)])
def test_generator_front_view_sides(direction, mirrored):
    pose, truth = generate_walk("front", direction, fps=30, mirrored=mirrored)
    dx = np.median(pose.landmarks[:, LM["right_hip"], 0] - pose.landmarks[:, LM["left_hip"], 0])
    # subject's right at image-left when facing the camera, at image-right from behind; mirror flips
    assert (dx < 0) == ((direction == "toward") != mirrored)
    assert truth.view == f"frontal_{direction}" and truth.near_side == ""


# ------------------------------------------------------------------------------- (a) swap correction
@pytest.mark.parametrize("fps", [30, 60])
@pytest.mark.parametrize("direction", ["left", "right"])
@pytest.mark.parametrize("channels", ["xy", "xyzv"])
def test_injected_swaps_are_restored(fps, direction, channels):
    """≥ 99 % of swapped frames restored, ≤ 0.5 % of clean frames changed (Gaussian + 1–4 Hz noise)."""
    for seed in range(3):
        pose, truth = generate_walk("side", direction, fps=fps, noise=True, seed=seed,
                                    duration_s=12.0, treadmill=True)
        bad, injected = inject_swaps(pose, truth, seed=seed + 100, channels=channels,
                                     end_at_crossing=bool(seed % 2), start_jitter=1 if seed % 2 else 3)
        passes = [make_pass(pose, truth)] if channels == "xyzv" else None
        out, swapped = correct_leg_swaps(bad, passes, CFG)
        restored, false = _rates(truth, injected, swapped)
        assert restored >= 99.0 and false <= 0.5, (seed, restored, false)
        # what was swapped back is the true leg data again
        ok = swapped == injected
        np.testing.assert_allclose(out.landmarks[ok][:, LIMB, :2], pose.landmarks[ok][:, LIMB, :2])
        if channels == "xy":  # real MediaPipe: depth/visibility stayed with the label; leave them
            np.testing.assert_array_equal(out.landmarks[:, LIMB, 2:], bad.landmarks[:, LIMB, 2:])
        else:  # they travelled with the positions: put back too
            np.testing.assert_allclose(out.landmarks[ok][:, LIMB, 2:], pose.landmarks[ok][:, LIMB, 2:])


@pytest.mark.parametrize("direction", ["toward", "away"])
def test_front_view_swaps_and_hips(direction):
    """Front views: swaps are plain jumps; the hips (well apart here) go back with their own evidence."""
    pose, truth = generate_walk("front", direction, fps=30, noise=True, seed=4, duration_s=4.2)
    bad, injected = inject_swaps(pose, truth, seed=9, with_hips="random", fraction=0.3, min_gap=4)
    out, swapped = correct_leg_swaps(bad, None, CFG)
    assert np.array_equal(swapped, injected)
    np.testing.assert_allclose(out.landmarks, pose.landmarks)


def test_clean_and_glitchy_walks_are_left_alone():
    for fps in (30, 60):
        pose, truth = generate_walk("side", "left", fps=fps, noise=True, seed=11, duration_s=12.0, treadmill=True)
        out, swapped = correct_leg_swaps(pose, None, CFG)
        assert not swapped.any()
        np.testing.assert_array_equal(out.landmarks, pose.landmarks)
        glitchy, glitched = inject_glitches(pose, truth, seed=3, rate=0.05 * 30 / fps)
        _, swapped = correct_leg_swaps(glitchy, None, CFG)
        assert _rates(truth, np.zeros(len(pose), bool), swapped, glitched)[1] <= 0.5


def test_long_run_is_an_epoch_not_a_swap():
    """A label flip lasting longer than max_swap_run_s is left alone; short swaps around it are fixed."""
    pose, truth = generate_walk("side", "right", fps=30, noise=True, seed=2, duration_s=20.0, treadmill=True)
    bad, injected = inject_swaps(pose, truth, seed=5, fraction=0.08)
    T, n, margin = len(pose), int(2.5 * CFG.max_swap_run_s * 30), 30
    busy = np.convolve(injected, np.ones(n + 2 * margin), mode="valid") > 0
    free = np.flatnonzero(~busy)
    start = int(free[free > 2 * n][0]) + margin  # a stretch without injected swaps, away from the ends
    long_ = np.zeros(T, bool)
    long_[start:start + n] = True
    lm = bad.landmarks.copy()
    for li, ri in LEG_PAIRS:
        lm[long_, li], lm[long_, ri] = bad.landmarks[long_, ri], bad.landmarks[long_, li]
    p = make_pass(pose, truth)
    out, swapped = correct_leg_swaps(bad.with_landmarks(lm), [p], CFG)
    assert not (swapped & long_ & ~injected).any()  # the long flip is not undone...
    assert len(out.warnings) == 1 and f"{pose.t_s[start]:.2f}" in out.warnings[0]  # ...but reported
    restored, false = _rates(truth, injected, swapped)  # ...and swaps inside and around it are
    assert restored >= 99.0 and false <= 0.5


def test_uneven_frame_times_and_tracking_gaps():
    rng = np.random.default_rng(0)
    pose, truth = generate_walk("side", "left", fps=30, noise=True, seed=6, duration_s=12.0, treadmill=True)
    bad, injected = inject_swaps(pose, truth, seed=8)
    keep = np.sort(rng.choice(len(pose), size=int(0.93 * len(pose)), replace=False))  # dropped frames
    lm = bad.landmarks[keep].copy()
    lm[200:210] = np.nan  # lost track for a third of a second
    vfr = PoseSequence(t_s=pose.t_s[keep] + rng.normal(0, 0.002, keep.size), landmarks=lm,
                       width_px=pose.width_px, height_px=pose.height_px)
    out, swapped = correct_leg_swaps(vfr, None, CFG)
    assert not swapped[200:210].any() and np.isnan(out.landmarks[200:210]).all()
    t = dataclasses.replace(truth, clean_landmarks=truth.clean_landmarks[keep], leg_length_px=truth.leg_length_px[keep])
    near_gap = np.zeros(keep.size, bool)
    near_gap[197:213] = True  # a run cut by the gap may keep its first frames
    restored, false = _rates(t, injected[keep], swapped, near_gap)
    assert restored >= 99.0 and false <= 0.5


def test_low_frame_rate_is_not_corrected():
    pose, truth = generate_walk("side", "left", fps=12, noise=True, duration_s=6.0)
    bad, _ = inject_swaps(pose, truth, seed=1)
    out, swapped = correct_leg_swaps(bad, None, CFG)
    assert not swapped.any() and any("fps" in w for w in out.warnings)


def test_20_minutes_of_swaps():  # speed: benchmarks/bench_analysis.py
    pose, truth = generate_walk("side", "right", fps=30, noise=True, duration_s=1200.0, treadmill=True)
    bad, injected = inject_swaps(pose, truth, seed=2)
    _, swapped = correct_leg_swaps(bad, None, CFG)
    restored, false = _rates(truth, injected, swapped)
    assert restored >= 99.0 and false <= 0.5


def test_swap_counts_per_pass():
    passes = [Pass(0, 0, 10, 0.0, 0.3, "left", "left", "sagittal"),
              Pass(1, 10, 20, 0.3, 0.6, "right", "right", "sagittal")]
    swapped = np.zeros(20, bool)
    swapped[[2, 3, 15]] = True
    counted = with_swap_counts(passes, swapped)
    assert [p.n_swaps_corrected for p in counted] == [2, 1] and passes[0].n_swaps_corrected == 0


# ------------------------------------------------------------------------------- (b) side assignment
SIDE_CASES = [("side", d, m, fl, fu) for d in ("left", "right") for m in (False, True)
              for fl, fu in ((False, False), (True, False), (False, True), (True, True))]
FRONT_CASES = [("front", d, m, False, False) for d in ("toward", "away") for m in (False, True)]


@pytest.mark.parametrize("view,direction,mirrored,flip_legs,flip_upper", SIDE_CASES + FRONT_CASES)
def test_assign_sides_names_the_true_side(view, direction, mirrored, flip_legs, flip_upper):
    pose, truth = generate_walk(view, direction, fps=30, noise=True, mirrored=mirrored, seed=3)
    mp = mediapipe_style(pose, truth, flip_legs=flip_legs, flip_upper=flip_upper)
    p = make_pass(pose, truth)
    out, passes, warnings = assign_sides(mp, [p], mirrored=mirrored, cfg=CFG)
    np.testing.assert_array_equal(out.landmarks, pose.landmarks)  # every landmark, every frame
    assert passes[0].near_side == truth.near_side and not warnings
    assert p.near_side == ""  # inputs are not modified


def test_assign_sides_uses_facing_not_travel():
    """Treadmill (no travel) and backward walking: the near side follows the facing direction."""
    pose, truth = generate_walk("side", "right", fps=30, noise=True, treadmill=True, seed=1)
    mp = mediapipe_style(pose, truth, flip_legs=True)
    for direction in ("none", "left"):
        p = dataclasses.replace(make_pass(pose, truth), direction=direction, facing="right")
        out, passes, _ = assign_sides(mp, [p], mirrored=False)
        np.testing.assert_array_equal(out.landmarks, pose.landmarks)
        assert passes[0].near_side == "right"


def test_assign_sides_per_pass_after_a_turn():
    """Two passes with opposite directions, each with its own wrong labels; frames outside passes kept."""
    a, ta = generate_walk("side", "right", fps=30, noise=True, seed=1)
    b, tb = generate_walk("side", "left", fps=30, noise=True, seed=2)
    gap = np.full((15, 33, 4), np.nan)
    true_lm = np.concatenate([a.landmarks, gap, b.landmarks])
    mp_lm = np.concatenate([mediapipe_style(a, ta, flip_legs=True).landmarks, gap,
                            mediapipe_style(b, tb, flip_upper=True).landmarks])
    t = np.arange(len(true_lm)) / 30.0
    mp = PoseSequence(t_s=t, landmarks=mp_lm, width_px=a.width_px, height_px=a.height_px)
    n = len(a)
    p1 = Pass(0, 0, n, 0.0, t[n - 1], "right", "right", "sagittal")
    p2 = Pass(1, n + 15, len(t), t[n + 15], t[-1], "left", "left", "sagittal")
    turn = Pass(2, n, n + 15, t[n], t[n + 14], "none", "none", "oblique", usable=False, reason="turn")
    out, passes, warnings = assign_sides(mp, [p1, turn, p2], mirrored=False)
    np.testing.assert_array_equal(out.landmarks, true_lm)
    assert [p.near_side for p in passes] == ["right", "", "left"]
    assert not warnings  # the excluded turn needs no warning


def test_weak_evidence_is_warned():
    pose, truth = generate_walk("side", "right", fps=30, noise=True, seed=1)
    lm = pose.landmarks.copy()
    rng = np.random.default_rng(0)
    lm[:, :, 2] = rng.normal(0, 50, lm.shape[:2])  # depth carries nothing
    lm[:, :, 3] = 0.9
    _, _, warnings = assign_sides(pose.with_landmarks(lm), [make_pass(pose, truth)], mirrored=False, cfg=CFG)
    assert warnings and all("weak" in w for w in warnings)


def test_pipeline_then_sides_end_to_end():
    """MediaPipe-style labels plus injected swaps: correct, then assign; true sides in every frame."""
    pose, truth = generate_walk("side", "left", fps=60, noise=True, mirrored=True, seed=5)
    mp = mediapipe_style(pose, truth, flip_legs=True)
    bad, injected = inject_swaps(mp, truth, seed=3)
    p = make_pass(pose, truth)
    fixed, swapped = correct_leg_swaps(bad, [p], CFG)
    out, passes, _ = assign_sides(fixed, with_swap_counts([p], swapped), mirrored=True, cfg=CFG)
    valid = leg_separation(truth.clean_landmarks, truth.leg_length_px) >= INDISTINCT_LL
    np.testing.assert_allclose(out.landmarks[valid][:, LIMB, :2], pose.landmarks[valid][:, LIMB, :2])
    assert passes[0].near_side == "left"
    assert abs(passes[0].n_swaps_corrected - injected.sum()) <= np.count_nonzero(injected & ~valid)


# ------------------------------------------------------------------------ (a2) partial (joint-group) swaps
GROUP_IDX = {"knee": [LM["left_knee"], LM["right_knee"]],
             "foot": [i for p in LEG_PAIRS[2:] for i in p]}


def _group_counts(truth, clean, bad, out, injected):
    """Per joint group (knee; ankle + heel + foot index), summed: (injected, restored = the true data
    again, clean, changed) frame counts; frames where that group's left and right points are < 0.1 leg
    lengths apart are excluded. ``injected`` (T, 2) bool, columns [knee, foot]."""
    n = np.zeros(4, int)
    for g, name in enumerate(("knee", "foot")):
        valid = group_separation(truth.clean_landmarks, truth.leg_length_px, name) >= INDISTINCT_LL
        idx = GROUP_IDX[name]
        restored = np.all(np.isclose(out[:, idx, :2], clean[:, idx, :2]), axis=(1, 2))
        changed = np.any(out[:, idx, :2] != bad[:, idx, :2], axis=(1, 2))
        inj = injected[:, g]
        n += [np.count_nonzero(inj & valid), np.count_nonzero(inj & valid & restored),
              np.count_nonzero(~inj & valid), np.count_nonzero(~inj & valid & changed)]
    return n


@pytest.mark.parametrize("fps", [30, 60])
@pytest.mark.parametrize("direction", ["left", "right"])
@pytest.mark.parametrize("channels", ["xy", "xyzv"])
def test_partial_swaps_are_restored(fps, direction, channels):
    """Knee-only and foot-only label swaps of 2–10 frames near crossings (MediaPipe does this on real
    clips), alone and mixed with whole-leg swaps: ≥ 99 % of the injected frames (four walks) restored,
    ≤ 0.5 % of clean frames changed; no walk below 95 %. Misses are runs that start where the pair
    crosses and end before it is far apart (little evidence either way)."""
    total = np.zeros(4, int)
    for seed in range(4):
        pose, truth = generate_walk("side", direction, fps=fps, noise=True, seed=seed, duration_s=12.0,
                                    treadmill=True)
        bad, whole = pose, np.zeros(len(pose), bool)
        if seed % 2:
            bad, whole = inject_swaps(pose, truth, seed=seed + 100, channels=channels, fraction=0.1)
        run = (2, 10) if fps == 30 else (4, 20)  # the same durations in seconds
        bad, partial = inject_partial_swaps(bad, truth, seed=seed + 200, channels=channels, avoid=whole,
                                            min_run=run[0], max_run=run[1], min_gap=run[0] * 4)
        passes = [make_pass(pose, truth)] if channels == "xyzv" else None
        out, swapped = correct_leg_swaps(bad, passes, CFG)
        injected = partial | whole[:, None]
        n = _group_counts(truth, pose.landmarks, bad.landmarks, out.landmarks, injected)
        assert n[1] >= 0.95 * n[0] and n[3] <= 0.005 * n[2], (seed, n)
        total += n
        changed = (out.landmarks[:, LIMB, :2] != bad.landmarks[:, LIMB, :2]).any(axis=(1, 2))
        assert np.array_equal(swapped, changed)  # the frame mask reports every frame with a change
    assert total[1] >= 0.99 * total[0] and total[3] <= 0.005 * total[2], total
    if channels == "xy":  # depth and visibility stayed with the label in the input: left alone
        np.testing.assert_array_equal(out.landmarks[:, LIMB, 3], bad.landmarks[:, LIMB, 3])


def test_partial_swap_injector():
    pose, truth = generate_walk("side", "left", fps=30, noise=True, seed=1, duration_s=12.0, treadmill=True)
    bad, inj = inject_partial_swaps(pose, truth, seed=4)
    assert inj[:, 0].any() and inj[:, 1].any() and not (inj[:, 0] & inj[:, 1]).any()
    k, f = GROUP_IDX["knee"], GROUP_IDX["foot"]
    np.testing.assert_array_equal(bad.landmarks[inj[:, 0]][:, k[::-1], :2], pose.landmarks[inj[:, 0]][:, k, :2])
    np.testing.assert_array_equal(bad.landmarks[inj[:, 0]][:, f, :2], pose.landmarks[inj[:, 0]][:, f, :2])
    np.testing.assert_array_equal(bad.landmarks[~inj.any(axis=1)], pose.landmarks[~inj.any(axis=1)])


def test_implausible_points_become_gaps():
    """A limb point far from every continuity prediction of either leg is set missing, with a warning
    only when that happens often in a usable pass; clean walks lose nothing."""
    pose, truth = generate_walk("side", "right", fps=30, noise=True, seed=7, duration_s=8.0)
    out, _ = correct_leg_swaps(pose, [make_pass(pose, truth)], CFG)
    assert np.isfinite(out.landmarks).all() and not out.warnings
    lm = pose.landmarks.copy()
    k = LM["left_knee"]
    rows = np.arange(20, len(pose) - 20, 7)
    lm[rows, k, 1] -= 0.6 * truth.leg_length_px[rows]  # the knee drawn far above the body
    out, _ = correct_leg_swaps(pose.with_landmarks(lm), [make_pass(pose, truth)], CFG)
    assert np.isnan(out.landmarks[rows, k, :3]).all() and np.isfinite(out.landmarks[rows, k, 3]).all()
    others = np.ones(len(pose), bool)
    others[rows] = False
    assert np.isfinite(out.landmarks[others][:, LIMB, :2]).all()
    assert len(out.warnings) == 1 and "set missing" in out.warnings[0]


def _collapse(pose, truth, swapped, seed=0):
    """One frame before each injected swap run (legs apart), both legs' points moved to their midpoint with
    a small spread: what MediaPipe does for a frame before it swaps the legs."""
    rng = np.random.default_rng(seed)
    lm = pose.landmarks.copy()
    starts = np.flatnonzero(np.diff(swapped.astype(int)) == 1) + 1
    sep = leg_separation(truth.clean_landmarks, truth.leg_length_px)
    hit = np.zeros(len(pose), bool)
    for s in starts:
        f = int(s - rng.integers(3, 6))
        if f < 1 or sep[f] < 0.4 or swapped[f - 1:f + 2].any():
            continue
        for a, b in LEG_PAIRS[1:]:
            mid = 0.5 * (lm[f, a, :2] + lm[f, b, :2])
            d = -0.15 * (lm[f, a, :2] - lm[f, b, :2])  # crossed, as on the rendered clip
            lm[f, a, :2], lm[f, b, :2] = mid + d, mid - d
        hit[f] = True
    return pose.with_landmarks(lm), hit


def test_a_one_frame_collapse_of_the_legs_does_not_move_a_label_change():
    """Rendered clips: a frame where MediaPipe puts both legs in between, just before a swap, made the
    correction change labels there instead of at the swap (rendered side clips: 3.2 → 1.9 % of frames on the
    wrong leg with collapse_ratio)."""
    pose, truth = generate_walk("side", "left", fps=30, noise=True, seed=5, duration_s=20.0)
    injected_pose, injected = inject_swaps(pose, truth, seed=7, min_run=6, max_run=20, end_at_crossing=True)
    collapsed, hit = _collapse(injected_pose, truth, injected)
    assert hit.sum() >= 5
    wrong = {}
    for ratio in (0.0, CFG.collapse_ratio):
        cfg = dataclasses.replace(CFG, collapse_ratio=ratio)
        _, swapped = correct_leg_swaps(collapsed, None, cfg)
        valid = (leg_separation(truth.clean_landmarks, truth.leg_length_px) >= INDISTINCT_LL) & ~hit
        wrong[ratio] = int(np.count_nonzero((swapped != injected) & valid))
    # 5 seeds: 4–64 frames on the wrong leg without the rule, none with it
    assert wrong[0.0] >= 10 and wrong[CFG.collapse_ratio] == 0
