"""The 3D gait model (gaitlab.synth.gaitmodel): truth consistency, planted feet, patterns, templates.

Numbers measured when this was written are in the comments; the assertions leave some margin.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from conftest import shared_file
from gaitlab.model import LM
from gaitlab.synth import patterns as pt
from gaitlab.synth.gaitmodel import GaitParams, default_cadence, simulate
from gaitlab.synth.patterns import CATALOGUE, PatternSpec
from gaitlab.synth.templates import CROUCH, LEG_JOINTS, NORMAL

#: CLINICAL.md §5 normal ranges used to check that a pattern leaves the other quantities alone.
NORMAL_CADENCE = (85.0, 125.0)  # walk-ratio cadence at 1.2 m/s is 104.5; §5 says 100–120 (speed-dependent)
NORMAL_STANCE_PCT = (57.0, 65.0)


def contact_events(walk, threshold_m=0.0005):
    """(time_s, side, kind) from the heel/toe heights: contact = lowest of heel, toe tip < threshold."""
    out = []
    for side in ("left", "right"):
        low = np.minimum(walk.path_m[:, LM[f"{side}_heel"], 2], walk.path_m[:, LM[f"{side}_foot_index"], 2])
        d = np.diff((low < threshold_m).astype(int))
        out += [(walk.t_s[i + 1], side, "HS") for i in np.flatnonzero(d == 1)]
        out += [(walk.t_s[i], side, "TO") for i in np.flatnonzero(d == -1)]
    return sorted(out)


@pytest.fixture(scope="module")
def normal_walk():
    return simulate(GaitParams(seed=3), fps=60, seconds=40)


@pytest.fixture(scope="module")
def base_summary(normal_walk):
    return normal_walk.summary()


# ------------------------------------------------------------------------------------------ truth
@pytest.mark.parametrize("speed", [0.8, 1.2, 1.6])
def test_true_events_reproduce_cadence_and_stance(speed):
    walk = simulate(GaitParams(speed_m_s=speed, seed=1), fps=50, seconds=40)
    st = walk.strides[walk.strides.segment == "straight"]
    cadence = 120.0 / st.stride_time_s.mean()
    assert abs(cadence - default_cadence(speed)) < 0.5  # measured |error| ≤ 0.25 steps/min
    for side, g in st.groupby("side"):
        assert 58.0 <= g.stance_pct.mean() <= 64.0  # 62.0
        assert len(g) >= 15
    speed_true = st.stride_length_m.sum() / st.stride_time_s.sum()
    assert speed_true == pytest.approx(speed, rel=0.01)  # 0.2 %


def test_events_are_the_foot_floor_contacts():
    """The true events are where the lowest point of the foot (heel or toe tip) reaches/leaves the floor."""
    walk = simulate(GaitParams(seed=2), fps=1000, seconds=8)
    geo = contact_events(walk)
    assert len(geo) == len(walk.events)  # no extra contact (no toe scraping in swing)
    for (t, s, k), (tg, sg, kg) in zip(walk.events, geo):
        assert (s, k) == (sg, kg)
        assert abs(tg - t) < 0.008  # measured: HS 0.5 mm reached ≤ 5 ms before, TO left ≤ 2 ms after
    for side, col in (("left", 0), ("right", 1)):  # stance flag == contact
        low = np.minimum(walk.path_m[:, LM[f"{side}_heel"], 2], walk.path_m[:, LM[f"{side}_foot_index"], 2])
        assert np.all(low[walk.stance[:, col]] < 1e-9)
        assert low[~walk.stance[:, col]].min() > -1e-9  # the swing foot never goes through the floor


def test_stance_foot_does_not_slide(normal_walk):
    """Horizontal speed of the heel and the toe tip between consecutive frames where both are on the floor."""
    w = normal_walk
    speeds = []
    for side, col in (("left", 0), ("right", 1)):
        for part in ("heel", "foot_index"):
            p = w.path_m[:, LM[f"{side}_{part}"]]
            on = w.stance[:, col] & (p[:, 2] < 1e-9)
            pair = on[:-1] & on[1:]
            v = np.linalg.norm(np.diff(p[:, :2], axis=0), axis=1) / np.diff(w.t_s)
            assert pair.sum() > 100
            speeds.append(v[pair].max())
    assert max(speeds) < 1e-3  # m/s; measured < 1e-9 m/s: the contact points are fixed


def test_segments_keep_their_lengths(normal_walk):
    p = normal_walk.params
    for side in ("left", "right"):
        P = normal_walk.world_m
        thigh = np.linalg.norm(P[:, LM[f"{side}_knee"]] - P[:, LM[f"{side}_hip"]], axis=1)
        shank = np.linalg.norm(P[:, LM[f"{side}_ankle"]] - P[:, LM[f"{side}_knee"]], axis=1)
        assert np.ptp(thigh) < 1e-6 and thigh[0] == pytest.approx(p.proportions.thigh * p.height_m)
        assert np.ptp(shank) < 5e-4  # m; 0 measured on normal gait (the pelvis is lowered where needed)


def test_normal_walk_is_normal(base_summary):
    """CLINICAL §5 normals on the truth of a normal walk (so a normal model clip should raise no flag)."""
    s = base_summary
    assert 100.0 <= s["cadence_steps_min"] <= 120.0
    for side in ("left", "right"):
        d = s[side]
        assert 57.0 <= d["stance_pct"] <= 65.0
        assert 18.0 <= d["double_support_pct"] <= 27.0  # 24
        assert 15.0 <= d["loading_knee_flexion_deg"] <= 20.0  # 17
        assert 55.0 <= d["peak_swing_knee_flexion_deg"] <= 70.0  # 61
        assert 10.0 <= d["peak_thigh_extension_deg"] <= 22.0  # 20
        assert abs(d["mean_trunk_inclination_deg"]) < 5.0
        assert d["pelvic_drop_deg"] <= 6.0  # 3.7–3.9 (source data)
        assert d["lateral_trunk_lean_deg"] <= 2.0
        assert abs(d["knee_fppa_deg"]) < 10.0
        assert d["lateral_swing_excursion_hw"] < 0.5
        assert d["hip_hiking_deg"] < 4.0
        assert d["late_swing_dorsiflexion_deg"] > -5.0
        assert 1.0 <= d["stride_time_cv_pct"] <= 3.5  # set 2 %
    for r in s["ratios_left_over_right"].values():
        assert 0.95 < r < 1.05


def test_seed_reproducible_and_treadmill():
    a = simulate(GaitParams(seed=5), fps=30, seconds=5)
    b = simulate(GaitParams(seed=5), fps=30, seconds=5)
    c = simulate(GaitParams(seed=6), fps=30, seconds=5)
    assert np.array_equal(a.world_m, b.world_m) and not np.allclose(a.world_m, c.world_m)
    tm = simulate(GaitParams(treadmill=True), fps=60, seconds=12)
    pel = 0.5 * (tm.world_m[:, LM["left_hip"]] + tm.world_m[:, LM["right_hip"]])
    assert np.ptp(pel[:, 0]) < 0.3  # stays on the belt (measured 0.14 m)
    heel = tm.world_m[:, LM["left_heel"]]
    vx = np.gradient(heel[:, 0], tm.t_s)
    on = tm.stance[:, 0] & (heel[:, 2] < 1e-9)
    on[1:-1] &= on[:-2] & on[2:]
    assert np.median(vx[on]) == pytest.approx(-tm.belt_speed_m_s, abs=1e-6)  # planted on the belt


def test_turns_and_backward_segments():
    w = simulate(GaitParams(turns=2, seed=1), fps=30, seconds=25)
    assert {"straight", "turn"} <= set(w.segment)
    heading = np.degrees(w.heading_rad[w.segment == "straight"]) % 360
    assert set(np.round(heading).astype(int)) == {0, 180}  # out and back on one line
    pel = 0.5 * (w.world_m[:, LM["left_hip"]] + w.world_m[:, LM["right_hip"]])
    assert np.abs(pel[w.segment == "straight", 1]).max() < 0.05
    b = simulate(GaitParams(backward=((6.0, 4.0),)), fps=30, seconds=12)
    assert set(b.segment) == {"straight", "backward"}
    x = 0.5 * (b.world_m[:, LM["left_hip"], 0] + b.world_m[:, LM["right_hip"], 0])
    i6, i10 = np.searchsorted(b.t_s, [6.0, 10.0])
    assert x[i10] < x[i6] - 3.0  # walked back ≈ 4.8 m


def test_invalid_patterns_are_rejected():
    with pytest.raises(ValueError, match="valid patterns: antalgic"):
        simulate(GaitParams(patterns=(PatternSpec("limp", "left"),)), fps=10, seconds=2)
    with pytest.raises(ValueError, match="left or right"):
        simulate(GaitParams(patterns=(PatternSpec("antalgic", "both"),)), fps=10, seconds=2)
    with pytest.raises(ValueError, match="outside the range"):
        simulate(GaitParams(patterns=(PatternSpec("antalgic", "left", 40.0),)), fps=10, seconds=2)


# --------------------------------------------------------------------------------------- patterns
def _pattern_summary(name, side="left", magnitude=None, seconds=30.0):
    return _cached_pattern_summary(name, side, magnitude, seconds)  # one walk per setting, however called


@functools.lru_cache(maxsize=None)
def _cached_pattern_summary(name, side, magnitude, seconds):
    spec = PatternSpec(name, side, CATALOGUE[name].default_magnitude if magnitude is None else magnitude)
    return simulate(GaitParams(patterns=(spec,), seed=4), fps=40, seconds=seconds).summary()


def _measure(name, s, base):
    """(measured change of the pattern's target, in the catalogue unit) for a left-side pattern."""
    L, R = s["left"], s["right"]
    return {
        "antalgic": lambda: 100 * (1 - L["stance_s"] / R["stance_s"]),
        "step_time_asymmetry": lambda: 100 * (L["step_time_s"] / R["step_time_s"] - 1),
        "step_length_asymmetry": lambda: 100 * (L["step_length_m"] / R["step_length_m"] - 1),
        "knee_guarding": lambda: R["loading_knee_flexion_deg"] - L["loading_knee_flexion_deg"],
        "reduced_hip_extension": lambda: R["peak_thigh_extension_deg"] - L["peak_thigh_extension_deg"],
        "forward_trunk_lean": lambda: L["mean_trunk_inclination_deg"] - base["left"]["mean_trunk_inclination_deg"],
        "foot_drop": lambda: R["late_swing_dorsiflexion_deg"] - L["late_swing_dorsiflexion_deg"],
        "pelvic_drop": lambda: L["pelvic_drop_deg"],
        "lateral_trunk_lean": lambda: L["lateral_trunk_lean_deg"],
        "knee_valgus": lambda: L["knee_fppa_deg"],
        "circumduction": lambda: L["lateral_swing_excursion_hw"],
        "hip_hiking": lambda: L["hip_hiking_deg"],
        "irregular_stride_timing": lambda: 0.5 * (L["stride_time_cv_pct"] + R["stride_time_cv_pct"]),
    }[name]()


#: Tolerance of each pattern's recovered magnitude (catalogue unit); measured errors in the comments.
TOLERANCE = {
    "antalgic": 1.0,  # 12 % → 11.95
    "step_time_asymmetry": 1.0,  # 15 % → 14.6 (2 % stride CV)
    "step_length_asymmetry": 1.0,  # 15 % → 14.97
    "knee_guarding": 1.0,  # 10° → 9.9 (loading) / 10.0 (swing)
    "reduced_hip_extension": 1.0,  # 15° → 15.05
    "forward_trunk_lean": 0.2,  # 15° → 15.00
    "foot_drop": 1.0,  # 15° → 15.05
    "pelvic_drop": 1.0,  # 10° → 10.0
    "lateral_trunk_lean": 1.0,  # 8° → 8.6
    "knee_valgus": 1.0,  # 12° → 11.9
    "circumduction": 0.1,  # 0.7 hw → 0.69
    "hip_hiking": 1.0,  # 6° → 6.0
    "irregular_stride_timing": 1.0,  # 8 % → (random: sample CV of ≈ 40 strides per side)
}


@pytest.mark.parametrize("name", sorted(TOLERANCE))
def test_pattern_changes_its_target_by_its_magnitude(name, base_summary):
    m = CATALOGUE[name].default_magnitude
    s = _pattern_summary(name, seconds=90.0 if name == "irregular_stride_timing" else 30.0)
    assert _measure(name, s, base_summary) == pytest.approx(m, abs=TOLERANCE[name])
    # the other quantities stay normal (CLINICAL §5) — except the documented consequences
    assert NORMAL_CADENCE[0] <= s["cadence_steps_min"] <= NORMAL_CADENCE[1]
    if name != "antalgic":
        for side in ("left", "right"):
            assert NORMAL_STANCE_PCT[0] <= s[side]["stance_pct"] <= NORMAL_STANCE_PCT[1]
    if name not in ("step_time_asymmetry", "irregular_stride_timing"):
        assert 0.97 < s["ratios_left_over_right"]["step_time"] < 1.03
    if name not in ("step_length_asymmetry", "reduced_hip_extension", "knee_guarding", "foot_drop"):
        assert 0.95 < s["ratios_left_over_right"]["step_length"] < 1.05
    if name not in ("forward_trunk_lean",):
        assert abs(s["left"]["mean_trunk_inclination_deg"]) < 5.0
    if name not in ("pelvic_drop", "lateral_trunk_lean", "hip_hiking"):
        assert s["right"]["pelvic_drop_deg"] <= 6.0 and s["left"]["pelvic_drop_deg"] <= 6.0
    if name not in ("knee_guarding", "foot_drop"):
        assert 15.0 <= s["right"]["loading_knee_flexion_deg"] <= 20.0
    # the unaffected (right) side's sagittal angles stay normal too
    assert 55.0 <= s["right"]["peak_swing_knee_flexion_deg"] <= 70.0
    if name != "reduced_hip_extension":  # its other side's extension rises with the contralateral step
        assert 10.0 <= s["right"]["peak_thigh_extension_deg"] <= 22.5


def test_knee_guarding_swing_and_steppage(base_summary):
    s = _pattern_summary("knee_guarding")  # default 10°
    swing_drop = s["right"]["peak_swing_knee_flexion_deg"] - s["left"]["peak_swing_knee_flexion_deg"]
    assert swing_drop == pytest.approx(10.0, abs=1.0)  # 9.98
    assert s["left"]["loading_knee_flexion_deg"] < 10.0  # the §6 flag fires (7.0)
    fd = _pattern_summary("foot_drop")  # default 15°
    assert fd["left"]["late_swing_dorsiflexion_deg"] < -10.0  # marked foot drop (−12.4)
    assert fd["left"]["peak_swing_thigh_deg"] > fd["right"]["peak_swing_thigh_deg"] + 8.0  # steppage (+10.1)


def test_right_side_patterns_mirror():
    s = _pattern_summary("pelvic_drop", side="right", magnitude=9.0)
    assert s["right"]["pelvic_drop_deg"] == pytest.approx(9.0, abs=1.0)
    assert s["left"]["pelvic_drop_deg"] < 6.0
    s = _pattern_summary("antalgic", side="right", magnitude=10.0)
    assert 100 * (1 - s["right"]["stance_s"] / s["left"]["stance_s"]) == pytest.approx(10.0, abs=1.0)


def test_crouch_raises_the_documented_flags():
    s = _pattern_summary("crouch", side="both")
    L, R = s["left"], s["right"]
    assert L["peak_thigh_extension_deg"] < 0.0 and R["peak_thigh_extension_deg"] < 5.0  # reduced hip extension
    assert L["mean_trunk_inclination_deg"] > 15.0  # forward trunk lean ≈ 20°
    assert min(L["loading_knee_flexion_deg"], R["loading_knee_flexion_deg"]) > 45.0  # no knee-guarding rule fires
    assert min(L["peak_swing_knee_flexion_deg"], R["peak_swing_knee_flexion_deg"]) > 45.0
    assert R["knee_fppa_deg"] > 15.0  # marked dynamic valgus on the right
    assert min(L["late_swing_dorsiflexion_deg"], R["late_swing_dorsiflexion_deg"]) > 0.0  # no foot drop


# -------------------------------------------------------------------------------------- templates
def test_templates_need_no_data_files():
    q = np.linspace(0, 1, 11)
    assert np.all(np.isfinite(NORMAL.leg("left", "knee_angle", q)))
    assert -20.0 < NORMAL.leg("right", "knee_angle", 0.13) < -15.0  # loading-response flexion ≈ 17°
    assert CROUCH.leg("right", "knee_angle", 0.4) < -55.0


def test_templates_reproduce_the_mot_curves():
    """Fourier templates vs the OpenSim .mot files (OpenSim models repository): RMS ≤ 0.25° (normal, 8
    harmonics; measured ≤ 0.23) and ≤ 0.45° (crouch, 12 harmonics; ≤ 0.43)."""
    from gaitlab.mocap import read_mot

    for name, tmpl, limit in (("normal_gait", NORMAL, 0.25), ("crouch_gait", CROUCH, 0.45)):
        df = read_mot(shared_file(f"mocap/opensim-models/{name}.mot"))
        t = df["time"].to_numpy()
        phase = (t - t[0]) / (t[-1] - t[0])
        sides = ("right",) if tmpl is NORMAL else ("right", "left")  # normal: left = right + half a cycle
        for side in sides:
            own = (phase - (tmpl.left_heel_strike_phase if side == "left" else 0.0)) % 1.0
            for joint in LEG_JOINTS:
                col = f"{joint}_{side[0]}"
                rms = np.sqrt(np.mean((tmpl.leg(side, joint, own) - df[col].to_numpy()) ** 2))
                assert rms <= limit, (name, col, rms)
                assert rms == pytest.approx(tmpl.fit_rms_deg[col], abs=0.011)
        for body in tmpl.body:
            rms = np.sqrt(np.mean((tmpl.body[body](phase) - df[body].to_numpy()) ** 2))
            assert rms <= limit, (name, body, rms)


def test_catalogue_is_complete():
    expected = {"antalgic", "step_time_asymmetry", "step_length_asymmetry", "knee_guarding", "reduced_hip_extension",
                "forward_trunk_lean", "foot_drop", "pelvic_drop", "lateral_trunk_lean", "knee_valgus",
                "circumduction", "hip_hiking", "irregular_stride_timing", "crouch"}
    assert set(CATALOGUE) == expected
    for info in CATALOGUE.values():
        assert info.unit and info.target and info.expected_flag and info.description
        lo, hi = info.valid_range
        assert lo <= info.default_magnitude <= hi
    assert pt.resolve([PatternSpec("crouch", "left")])[0].side == "both"


def test_fit_script_reproduces_the_coefficients():
    """benchmarks/fit_gait_templates.py refits the .mot files to the coefficients pasted in templates.py."""
    import importlib.util
    from pathlib import Path

    from gaitlab.mocap import read_mot
    from gaitlab.synth import templates

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "fit_gait_templates.py"
    spec = importlib.util.spec_from_file_location("fit_gait_templates", path)
    fit = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fit)
    for stem, table in (("normal_gait", templates.NORMAL_COEFFICIENTS), ("crouch_gait", templates.CROUCH_COEFFICIENTS)):
        df = read_mot(shared_file(f"mocap/opensim-models/{stem}.mot"))
        t = df["time"].to_numpy()
        phase = (t - t[0]) / (t[-1] - t[0])
        for col in ("hip_flexion_r", "knee_angle_r", "ankle_angle_r", "pelvis_list", "lumbar_extension"):
            coef, _, _ = fit.fourier_fit(phase, df[col].to_numpy(), fit.HARMONICS[stem])
            assert np.allclose(coef, table[col], atol=6e-5), (stem, col)
