"""Report figures (matplotlib → SVG data URIs) and the data tables that stand in for them.

Left = Okabe–Ito blue, solid; right = vermillion, dashed (line style as well as colour, so that
nothing depends on colour alone); normal bands in light grey.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import pandas as pd

#: Plot colours (≥ 3:1 against white for graphics, WCAG 1.4.11).
PLOT_RGB = {"left": "#0072B2", "right": "#D55E00"}
LINESTYLE = {"left": "-", "right": "--"}
BAND_RGB = "#D9D9D9"
SAGITTAL_QUANTITIES = {"knee_flexion_deg": "Knee flexion", "thigh_angle_deg": "Thigh to vertical",
                       "ankle_dorsiflexion_deg": "Ankle dorsiflexion", "trunk_inclination_deg": "Trunk inclination"}
FRONTAL_QUANTITIES = {"pelvic_obliquity_deg": "Pelvic obliquity", "lateral_trunk_lean_deg": "Lateral trunk lean",
                      "knee_fppa_deg": "Knee frontal-plane projection angle"}
#: Cycle percentages listed in the data tables under each curve plot.
TABLE_PCT = tuple(range(0, 101, 10))


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.fonttype": "none", "font.size": 9, "axes.titlesize": 10,
                         "axes.spines.top": False, "axes.spines.right": False})
    return plt


def to_data_uri(fig) -> str:
    """SVG of ``fig`` (no date or creator metadata) as a base64 data URI; closes the figure."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def png_data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _fmt(v: float, digits: int = 1) -> str:
    return "" if v is None or not np.isfinite(v) else f"{v:.{digits}f}".replace("-", "−")


def cycle_figure(summary: pd.DataFrame, quantities: dict[str, str]) -> tuple[str, list[dict]] | None:
    """Mean ± SD per side over the normal band, one panel per quantity present; with its tables."""
    present = [q for q in quantities if q in set(summary.quantity)] if not summary.empty else []
    if not present:
        return None
    plt = _plt()
    ncol = 2 if len(present) > 1 else 1
    nrow = int(np.ceil(len(present) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(7.2, 2.6 * nrow), squeeze=False)
    tables = []
    for ax, q in zip(axes.flat, present):
        d = summary[summary.quantity == q]
        band = d.groupby("cycle_pct")[["normal_low_deg", "normal_high_deg"]].first()
        if band.notna().all(axis=1).any():
            ax.fill_between(band.index, band.normal_low_deg, band.normal_high_deg, color=BAND_RGB, lw=0,
                            label="normal band (±2 SD)")
        rows = {}
        for side in ("left", "right"):
            s = d[d.side == side].sort_values("cycle_pct")
            if s.empty:
                continue
            x, m, sd = s.cycle_pct.to_numpy(float), s.mean_deg.to_numpy(float), s.sd_deg.to_numpy(float)
            ax.plot(x, m, LINESTYLE[side], color=PLOT_RGB[side], lw=1.8, label=f"{side} (n = {int(s.n.max())})")
            ok = np.isfinite(sd)
            if ok.any():
                ax.fill_between(x, m - np.where(ok, sd, 0), m + np.where(ok, sd, 0), color=PLOT_RGB[side], alpha=0.18, lw=0)
            rows[side] = s.set_index("cycle_pct")
        ax.set_title(quantities[q])
        ax.set_xlim(0, 100)
        ax.set_xlabel("% of gait cycle (0 = heel strike)")
        ax.set_ylabel("degrees")
        ax.legend(fontsize=7, frameon=False, loc="best")
        table = []
        for pct in TABLE_PCT:
            r = {"pct": pct}
            for side in ("left", "right"):
                s = rows.get(side)
                if s is not None and pct in s.index:
                    mean, sd = s.at[pct, "mean_deg"], s.at[pct, "sd_deg"]
                    r[side] = f"{_fmt(mean)} ± {_fmt(sd)}" if np.isfinite(sd) else _fmt(mean)
                else:
                    r[side] = ""
            if pct in band.index and np.isfinite(band.at[pct, "normal_low_deg"]):
                r["normal"] = f"{_fmt(band.at[pct, 'normal_low_deg'])} to {_fmt(band.at[pct, 'normal_high_deg'])}"
            else:
                r["normal"] = "none published"
            table.append(r)
        tables.append({"title": quantities[q], "rows": table})
    for ax in list(axes.flat)[len(present):]:
        ax.set_visible(False)
    fig.subplots_adjust(hspace=0.55, wspace=0.28)
    return to_data_uri(fig), tables


def timeline_figure(events: pd.DataFrame, passes: list) -> str | None:
    """Stance phases (heel strike → toe off) as bars with HS ▲ / TO ▽ markers: two rows (left,
    right) per usable pass, time from the start of the pass."""
    if events.empty:
        return None
    used = [p for p in passes if p.usable and (events.pass_id == p.pass_id).any()]
    if not used:
        return None
    plt = _plt()
    rows = 2 * len(used)
    fig, ax = plt.subplots(figsize=(7.2, 0.26 * rows + 1.0))
    labels = []
    for k, p in enumerate(used):
        e = events[events.pass_id == p.pass_id]
        for j, side in enumerate(("left", "right")):
            y = rows - 1 - (2 * k + j)
            labels.append((y, f"pass {p.pass_id} {side}"))
            s = e[e.side == side]
            hs = s[s.event == "HS"].time_s.to_numpy(float) - p.start_s
            to = s[s.event == "TO"].time_s.to_numpy(float) - p.start_s
            for h in hs:
                nxt = to[to > h]
                if nxt.size:
                    ax.broken_barh([(h, nxt[0] - h)], (y - 0.32, 0.64), color=PLOT_RGB[side], alpha=0.35, lw=0)
            ax.plot(hs, np.full(hs.size, y), "^", color=PLOT_RGB[side], ms=5)
            ax.plot(to, np.full(to.size, y), "v", mfc="white", color=PLOT_RGB[side], ms=5)
        if k:
            ax.axhline(rows - 2 * k - 0.5, color="#BBBBBB", lw=0.6)
    ax.set_yticks([y for y, _ in labels], [t for _, t in labels], fontsize=7 if rows > 12 else 9)
    ax.set_ylim(-0.7, rows - 0.3)
    ax.set_xlim(left=0)
    ax.set_xlabel("time from the start of the pass (s)")
    ax.set_title("▲ heel strike, ▽ toe off, bar = stance (foot on the ground)", fontsize=9)
    return to_data_uri(fig)


def symmetry_figure(metrics: pd.DataFrame) -> str | None:
    """R/L ratios with their CIs on a log axis over the normal 0.90–1.10 band (measurable ones)."""
    m = metrics[metrics.metric.str.endswith("_ratio_r_l") & metrics.measurable.astype(bool)]
    if m.empty:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.2, 0.45 * len(m) + 1.0))
    ax.axvspan(0.9, 1.1, color=BAND_RGB, lw=0, label="normal 0.90–1.10")
    ax.axvline(1.0, color="#555555", lw=0.8)
    for i, r in enumerate(m.itertuples()):
        lo = r.ci_low if np.isfinite(r.ci_low) else r.value
        hi = r.ci_high if np.isfinite(r.ci_high) else r.value
        ax.errorbar([r.value], [i], xerr=[[r.value - lo], [hi - r.value]], fmt="o", color="#222222", capsize=3)
    ax.set_yticks(range(len(m)), [r.metric.replace("_ratio_r_l", "").replace("_", " ") + f" (n = {r.n})"
                                   for r in m.itertuples()])
    ax.set_xscale("log")
    lo = min(0.85, float(np.nanmin(m[["value", "ci_low"]].to_numpy(float))) * 0.95)
    hi = max(1.18, float(np.nanmax(m[["value", "ci_high"]].to_numpy(float))) * 1.05)
    ax.set_xlim(lo, hi)
    from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator

    ticks = [t for t in (0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0) if lo <= t <= hi]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xticklabels([f"{t:.2f}" for t in ticks])
    ax.set_xlabel("right / left ratio (log scale; > 1 = longer on the right), dot = estimate, bar = CI")
    ax.legend(fontsize=7, frameon=False, loc="lower right")
    ax.set_ylim(len(m) - 0.4, -0.6)  # first metric on top, room for the legend
    return to_data_uri(fig)
