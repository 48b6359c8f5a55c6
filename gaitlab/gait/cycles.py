"""Time-normalised gait cycles (``cycles.csv``): each stride's angle curves on 0–100 % (101 points).

Pure. Sagittal strides give the sagittal angles of their side (a leg's angles only from strides in
which it is the near leg: far-leg curves are not written); frontal strides give the frontal angles.
0 % and 100 % are the stride's two heel strikes; values are linearly interpolated in time from the
even-grid kinematics (NaN where a kinematics sample is missing).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .kinematics import FRONTAL_COLUMNS, FRONTAL_VIEWS, SAGITTAL_COLUMNS
from .normative import NORMATIVE_QUANTITIES, normal_band

CYCLE_PCT = np.linspace(0.0, 100.0, 101)
#: Quantities written to ``cycles.csv`` (shank angle and thigh–trunk are left to kinematics.csv).
CYCLE_QUANTITIES = ("knee_flexion_deg", "thigh_angle_deg", "ankle_dorsiflexion_deg", "trunk_inclination_deg",
                    "pelvic_obliquity_deg", "lateral_trunk_lean_deg", "knee_fppa_deg")

CYCLE_COLUMNS: dict[str, tuple[str, str]] = {
    "pass_id": ("", "Walking pass of the stride."),
    "side": ("", "Subject's side of the stride."),
    "stride": ("", "Stride index as in strides.csv (pass_id, side, stride identify it)."),
    "view": ("", "View of the pass."),
    "cycle_pct": ("%", "Percent of the stride: 0 = heel strike, 100 = next heel strike of the same foot."),
    "quantity": ("", "Angle (a column of kinematics.csv)."),
    "value_deg": ("deg", "The angle at that percent of the stride."),
}

CYCLE_SUMMARY_COLUMNS: dict[str, tuple[str, str]] = {
    "side": ("", "Subject's side."),
    "quantity": ("", "Angle (a column of kinematics.csv)."),
    "cycle_pct": ("%", "Percent of the stride."),
    "mean_deg": ("deg", "Mean over the side's strides (near-leg strides for sagittal angles)."),
    "sd_deg": ("deg", "Standard deviation over the same strides (empty with one stride)."),
    "n": ("strides", "Strides averaged."),
    "normal_low_deg": ("deg", "Lower edge of the published normal band (mean − 2 SD; Schwartz et al. 2008, typically developing children at free speed, 3D markers: see gaitlab.gait.normative) at this percent; empty where none is published."),
    "normal_high_deg": ("deg", "Upper edge of the published normal band."),
}


def compute_cycles(strides: pd.DataFrame, kinematics: pd.DataFrame) -> pd.DataFrame:
    """Long-form cycles: one row per (stride, quantity, cycle %)."""
    groups = {key: (g.time_s.to_numpy(dtype=float), g) for key, g in kinematics.groupby(["pass_id", "side"])}
    parts: dict[str, list] = {c: [] for c in CYCLE_COLUMNS}
    for s in strides.itertuples(index=False):
        frontal = s.view in FRONTAL_VIEWS
        if not frontal and s.leg == "far":
            quantities = ("trunk_inclination_deg",)
        else:
            cols = FRONTAL_COLUMNS if frontal else SAGITTAL_COLUMNS
            quantities = tuple(q for q in CYCLE_QUANTITIES if q in cols)
        got = groups.get((s.pass_id, s.side))
        if got is None or len(got[0]) < 2:
            continue
        tk, k = got
        tq = s.hs_time_s + CYCLE_PCT / 100.0 * (s.next_hs_time_s - s.hs_time_s)
        for q in quantities:
            parts["value_deg"].append(np.interp(tq, tk, k[q].to_numpy(dtype=float), left=np.nan, right=np.nan))
            parts["quantity"].append(np.full(len(CYCLE_PCT), q, dtype=object))
            for c, v in (("pass_id", s.pass_id), ("side", s.side), ("stride", s.stride), ("view", s.view)):
                parts[c].append(np.full(len(CYCLE_PCT), v, dtype=object if isinstance(v, str) else None))
            parts["cycle_pct"].append(CYCLE_PCT)
    if not parts["value_deg"]:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in CYCLE_COLUMNS})
    return pd.DataFrame({c: np.concatenate(v) for c, v in parts.items()})[list(CYCLE_COLUMNS)]


def summarise_cycles(cycles: pd.DataFrame) -> pd.DataFrame:
    """Mean ± SD per side, quantity and cycle % with the published normal band where one exists
    (:func:`gaitlab.gait.normative.normal_band`, mean ± 2 SD)."""
    if cycles.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in CYCLE_SUMMARY_COLUMNS})
    g = cycles.groupby(["side", "quantity", "cycle_pct"], sort=True).value_deg
    out = pd.DataFrame({"mean_deg": g.mean(), "sd_deg": g.std(ddof=1), "n": g.count()}).reset_index()
    out["normal_low_deg"] = np.nan
    out["normal_high_deg"] = np.nan
    for q in set(out.quantity.unique()) & set(NORMATIVE_QUANTITIES):
        band = normal_band(q)
        sel = out.quantity == q
        out.loc[sel, "normal_low_deg"] = np.interp(out.loc[sel, "cycle_pct"], band.cycle_pct, band.low_deg)
        out.loc[sel, "normal_high_deg"] = np.interp(out.loc[sel, "cycle_pct"], band.cycle_pct, band.high_deg)
    return out[list(CYCLE_SUMMARY_COLUMNS)]
