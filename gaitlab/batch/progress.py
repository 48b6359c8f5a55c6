"""Progress over clips: a tqdm bar (clips/min, time left, clips running) on a terminal, one log line per
finished clip otherwise (with the same rate and time left)."""

from __future__ import annotations

import time
from typing import TextIO

#: Clip names shown in the bar's "running" list before it is cut short.
MAX_RUNNING_SHOWN = 4


def _clock(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


class Progress:
    def __init__(self, total: int, *, interactive: bool, stream: TextIO) -> None:
        self.total, self.stream, self.done = total, stream, 0
        self.running: list[str] = []
        self.t0 = time.monotonic()
        self.bar = None
        if interactive and total:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="clip", desc="batch", file=stream, dynamic_ncols=True,
                            bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} clips "
                                       "[{elapsed}<{remaining}, {rate_fmt}{postfix}]")

    def started(self, clip_id: str) -> None:
        self.running.append(clip_id)
        self._postfix()

    def _postfix(self) -> None:
        if self.bar is not None:
            shown = ", ".join(self.running[:MAX_RUNNING_SHOWN]) + (" …" if len(self.running) > MAX_RUNNING_SHOWN else "")
            self.bar.set_postfix_str(f"running: {shown}" if shown else "", refresh=True)

    def finished(self, res: dict) -> None:
        self.done += 1
        if res["clip_id"] in self.running:
            self.running.remove(res["clip_id"])
        what = f"{res['status']:<8} {res['clip_id']} ({res.get('seconds', 0.0):.1f} s)"
        if res["status"] == "failed":
            what += f": {res['error_class']}: {res['message']}"
        if self.bar is not None:
            if res["status"] == "failed":
                self.bar.write(f"gaitlab batch: {what}", file=self.stream)
            self.bar.update(1)
            self._postfix()
            return
        elapsed = time.monotonic() - self.t0
        rate = self.done / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.done) / rate if rate > 0 else 0.0
        print(f"gaitlab batch: [{self.done}/{self.total}] {what}; {60 * rate:.1f} clips/min, "
              f"{_clock(left)} left", file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
