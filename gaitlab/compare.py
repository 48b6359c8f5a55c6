"""Before/after comparison of two analyses (``gaitlab compare OLD NEW``; issue 7 §7).

Reads two output folders (``analysis.json``, ``strides.csv``, ``steps.csv``) and writes
``comparison.csv`` and ``comparison.html`` (self-contained, no JavaScript). Speed comes first, since it
shifts most other metrics. A per-stride metric's change (new − old) gets a two-sample interval
(:func:`gaitlab.gait.stats.diff_ci`, Welch t or seeded bootstrap, on the strides of each session);
summary statistics without per-stride values (ratios, CV) get a normal-approximation interval from the
two reported intervals. The change is "outside within-session variability" when its interval excludes 0.
Minimal detectable changes: none is given, because published MDCs are specific to a population and an
instrument (instrumented walkways, wearables) and none is published for this 2D phone-video method.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import norm

from .errors import ConfigError
from .gait.metrics import SPECS, STEP_METRICS, _values
from .gait.stats import diff_ci, seed_from_hash

COMPARISON_COLUMNS: dict[str, tuple[str, str]] = {
    "metric": ("", "metrics.csv metric (flags: flag_id)."),
    "side": ("", "Side as in metrics.csv / flags.csv."),
    "unit": ("", "Unit of the values and the change."),
    "old_value": ("unit", "Value in the earlier analysis."),
    "new_value": ("unit", "Value in the later analysis."),
    "change": ("unit", "new − old."),
    "change_ci_low": ("unit", "Lower bound of the change's 95 % confidence interval."),
    "change_ci_high": ("unit", "Upper bound."),
    "method": ("", "strides (two-sample interval on per-stride values) or reported_ci (normal approximation from the two intervals)."),
    "outside_within_session_variability": ("", "True when the change's interval excludes 0; empty when it has no interval."),
    "mdc": ("unit", "Minimal detectable change from the literature: none (see comparison.html)."),
    "flag_change": ("", "Flags: resolved, new, persisting (or not_assessable); empty for metrics."),
}
MDC_NOTE = ("Minimal detectable change: none given. Published MDCs are specific to a population and an "
            "instrument (instrumented walkways, wearables); none is published for 2D phone-video gait analysis.")
_SPEC = {s.column: s for s in SPECS}


def _load(folder: Path) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    p = Path(folder) / "analysis.json"
    if not p.exists():
        raise ConfigError(f"'{folder}' holds no analysis.json: give two gaitlab output folders (gaitlab compare OLD NEW).")
    doc = json.loads(p.read_text(encoding="utf-8"))
    read = (lambda n: pd.read_csv(Path(folder) / n) if (Path(folder) / n).exists() else pd.DataFrame())
    return doc, read("strides.csv"), read("steps.csv")


def _from_cis(o: pd.Series, n: pd.Series, level: float = 0.95) -> tuple[float, float]:
    z = norm.ppf(0.5 + level / 2)
    se = [(r.ci_high - r.ci_low) / (2 * z) for r in (o, n)]
    if not np.all(np.isfinite(se)):
        return np.nan, np.nan
    d, s = n.value - o.value, float(np.hypot(*se))
    return d - z * s, d + z * s


def compare_frames(old: tuple, new: tuple) -> pd.DataFrame:
    (od, ost, osp), (nd, nst, nsp) = old, new
    om, nm = pd.DataFrame(od["metrics"]), pd.DataFrame(nd["metrics"])
    seed = seed_from_hash(str((od.get("source") or {}).get("sha256") or "0") + "0")
    rows = []
    for o in om.itertuples():
        n = nm[(nm.metric == o.metric) & (nm.side == o.side)]
        if n.empty or not (o.measurable and bool(n.iloc[0].measurable)) or o.metric == "event_timing_noise_floor_s":
            continue
        n = n.iloc[0]
        lo = hi = np.nan
        method = ""
        spec = _SPEC.get(o.metric)
        if spec is not None and o.side in ("left", "right"):
            src_o, src_n = (osp, nsp) if o.metric in STEP_METRICS and len(osp) and len(nsp) else (ost, nst)
            if len(src_o) and len(src_n) and o.metric in src_o and o.metric in src_n:
                d = diff_ci(_values(src_n, o.side, spec), _values(src_o, o.side, spec), seed=seed, min_n=2)
                if d.diff.measurable and np.isfinite(d.diff.ci_low):
                    lo, hi, method = d.diff.ci_low, d.diff.ci_high, "strides"
        if not method:
            lo, hi = _from_cis(pd.Series(o._asdict()), n)
            method = "reported_ci" if np.isfinite(lo) else ""
        outside = bool(lo > 0 or hi < 0) if np.isfinite(lo) else None
        rows.append({"metric": o.metric, "side": o.side, "unit": o.unit, "old_value": o.value, "new_value": n.value,
                     "change": n.value - o.value, "change_ci_low": lo, "change_ci_high": hi, "method": method,
                     "outside_within_session_variability": outside, "mdc": "none", "flag_change": ""})
    df = pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))
    speed = df.metric.str.startswith("speed_")
    df = pd.concat([df[speed], df[~speed]], ignore_index=True)
    return pd.concat([df, _flag_changes(od.get("flags") or [], nd.get("flags") or [])], ignore_index=True)


def _flag_changes(old: list, new: list) -> pd.DataFrame:
    key = (lambda f: (f["flag_id"], f["side"]))
    o = {key(f): f for f in old if f["status"] == "flagged"}
    n = {key(f): f for f in new if f["status"] == "flagged"}
    na_new = {key(f) for f in new if f["status"] == "not_assessable"}
    rows = []
    for k in list(o) + [k for k in n if k not in o]:
        state = ("persisting" if k in o and k in n else "new" if k in n else
                 "not_assessable" if k in na_new else "resolved")
        f0, f1 = o.get(k, {}), n.get(k, {})
        rows.append({"metric": k[0], "side": k[1], "unit": (f1 or f0).get("unit", ""),
                     "old_value": f0.get("value"), "new_value": f1.get("value"), "change": np.nan,
                     "change_ci_low": np.nan, "change_ci_high": np.nan, "method": "", "mdc": "",
                     "outside_within_session_variability": None,
                     "flag_change": f"{state} ({f0.get('severity') or '—'} → {f1.get('severity') or '—'})"})
    return pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))


def _num(x) -> str:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return html.escape(str(x or ""))
    return "" if not np.isfinite(x) else f"{x:.3g}"


def comparison_html(df: pd.DataFrame, old: dict, new: dict) -> str:
    def label(d):
        s = d.get("source") or {}
        return html.escape(str(s.get("subject_label") or d.get("created_utc") or ""))

    met, flg = df[df.flag_change == ""], df[df.flag_change != ""]
    rows = "".join(
        f"<tr><td>{html.escape(r.metric)}</td><td>{html.escape(str(r.side))}</td><td>{_num(r.old_value)}</td>"
        f"<td>{_num(r.new_value)}</td><td>{_num(r.change)}</td><td>{_num(r.change_ci_low)} to {_num(r.change_ci_high)}</td>"
        f"<td>{html.escape(r.unit)}</td><td>{'yes — outside' if r.outside_within_session_variability is True else 'no — within' if r.outside_within_session_variability is False else 'no interval'}</td>"
        f"<td>none</td></tr>" for r in met.itertuples())
    frows = "".join(f"<tr><td>{html.escape(r.metric)}</td><td>{html.escape(str(r.side))}</td>"
                    f"<td>{html.escape(r.flag_change)}</td></tr>" for r in flg.itertuples()) or \
        "<tr><td colspan='3'>No flag raised in either analysis.</td></tr>"
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>gaitlab comparison</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;color:#111;max-width:70em}}table{{border-collapse:collapse;margin:1em 0}}
th,td{{border:1px solid #555;padding:.3em .6em;text-align:left}}th{{background:#e8e8e8}}p.note{{color:#333}}</style></head><body>
<h1>Before / after comparison</h1>
<p>Earlier: {label(old)} · Later: {label(new)}. Screening support for clinicians, not a diagnostic device.</p>
<p class="note">Speed is listed first: it shifts most other gait metrics, so compare the others in its light.
A change is <em>outside within-session variability</em> when its 95 % confidence interval (from the stride-to-stride
spread of both sessions) excludes zero. {html.escape(MDC_NOTE)}</p>
<h2>Metrics</h2><table><tr><th>metric</th><th>side</th><th>earlier</th><th>later</th><th>change</th><th>95 % CI of change</th>
<th>unit</th><th>outside within-session variability</th><th>MDC (literature)</th></tr>{rows}</table>
<h2>Flags</h2><table><tr><th>flag</th><th>side</th><th>change (severity earlier → later)</th></tr>{frows}</table>
</body></html>
"""


def compare_outputs(old_dir, new_dir, out_dir) -> pd.DataFrame:
    """Compare two gaitlab output folders; write ``comparison.csv`` and ``comparison.html`` to ``out_dir``."""
    old, new = _load(Path(old_dir)), _load(Path(new_dir))
    df = compare_frames(old, new)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    df.to_csv(out / "comparison.csv", index=False, na_rep="", lineterminator="\n")
    (out / "comparison.html").write_text(comparison_html(df, old[0], new[0]), encoding="utf-8")
    return df
