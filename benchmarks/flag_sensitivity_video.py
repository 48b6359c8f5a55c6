"""Flag sensitivity on longer rendered side-view clips: every side-view pattern of the `gaitlab validate`
sweep at 1.5 × its *marked* threshold, both sides, walked back and forth long enough (default 24 s, 3 turns)
for the flags' minimum strides (CLINICAL §4), through MediaPipe and the whole pipeline.

    python benchmarks/flag_sensitivity_video.py [--seconds 24] [--workers 2] [--out DIR]

Prints per pattern and side: the flag status on the injected side. Clips and pose are cached (as in
`gaitlab validate`), so a re-run after an analysis change only re-analyses.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from gaitlab.validate.cli import _normal_summary, run_clip
from gaitlab.validate.report import FLAG_ID, _flag_rows
from gaitlab.validate.sweep import build_sweep, clips_dir


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=24.0)
    ap.add_argument("--turns", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", help="keep clips and per-clip results here")
    args = ap.parse_args()
    specs = [dataclasses.replace(s, seconds=args.seconds, walk={**s.walk, "turns": args.turns})
             for s in build_sweep(normal_summary=_normal_summary())
             if s.patterns and s.view == "side" and s.level == "marked_x1.5"]
    folder = clips_dir(args.out)
    folder.mkdir(parents=True, exist_ok=True)
    results_dir = str(Path(args.out) / "results") if args.out else None
    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as ex:
        results = list(ex.map(run_clip, specs, [str(folder)] * len(specs), [results_dir] * len(specs)))
    print(f"{len(specs)} side-view clips of {args.seconds:g} s at 1.5 × the marked threshold, "
          f"{time.perf_counter() - t0:.0f} s\n")
    print("| clip | injected | flagged on the injected side (all rows of that flag) |")
    print("|---|---|---|")
    for spec, r in zip(specs, results):
        if "error" in r:
            print(f"| {spec.name} | {spec.patterns} | error: {r['error']} |")
            continue
        (name, side, mag), = spec.patterns
        fid = FLAG_ID.get(name, name)
        rows = [f for f in (r.get("flags") or []) if f["flag_id"] == fid]
        on_side = [f for f in rows if side is None or f["side"] in (side, "both")]
        state = "; ".join(f"{f['side']}: {f['status']} {f['severity']}".strip() for f in rows) or "no row"
        hit = any(f["status"] == "flagged" for f in on_side)
        print(f"| {spec.name} | {name} {side or ''} {mag:.3g} | {'yes' if hit else 'no'} ({state}) |")
    F = _flag_rows([{**r, "patterns": s.patterns, "level": s.level, "view": s.view}
                    for s, r in zip(specs, results) if "error" not in r])
    for key, v in (F or {}).get("sensitivity", {}).items():
        print(f"{key}: {v['hit']}/{v['n']} flagged, {v['na']} not assessable")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
