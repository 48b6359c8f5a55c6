"""Analysis jobs: atomic claim in the database, a supervisor with a pool of workers (child
processes by default), throttled progress, re-queue of jobs whose process died, retention.

A job is claimed by ``UPDATE jobs SET state='running' ... WHERE id = ? AND state = 'queued'``: of
several claimers (threads, processes, web servers on one database) exactly one sees a changed row.
The supervisor refreshes ``heartbeat_at`` of the jobs it runs; a running job whose heartbeat is older
than :data:`STALE_AFTER_S` (its server was stopped or crashed) goes back to the queue.
"""

from __future__ import annotations

import datetime as dt
import inspect
import logging
import multiprocessing
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, update

from .db import Database, Job, Visit, utcnow

log = logging.getLogger("gaitlab.web")

#: Seconds between two progress writes of one job (the status page polls; the database is shared).
PROGRESS_INTERVAL_S = 1.0
#: Heartbeat period of running jobs, and the age after which a running job counts as orphaned.
HEARTBEAT_S = 5.0
STALE_AFTER_S = 30.0
#: Seconds between two looks at the queue when it is empty.
POLL_S = 1.0
#: Share of the progress bar for pose estimation (the rest: analysis and writing the outputs).
POSE_SHARE = 0.9
#: Width (px) of the frame shown to pick the walker when two people walk alike.
PICK_WIDTH_PX = 960
PICK_FRAME = "pick.jpg"


@dataclass
class JobInput:
    side: Path | None
    front: Path | None
    height_cm: float | None
    pain_side: str
    person_hint: str | None = None  # "X,Y@T" picked on a frame when the walker was ambiguous


ProgressFn = Callable[[float, str], None]
AnalyseFn = Callable[[JobInput, Path, ProgressFn], str]


def claim_next(db: Database, worker: str) -> int | None:
    """Atomically move the oldest queued job to running for ``worker``; its id, or None."""
    with db.session() as s:
        for job_id in s.scalars(select(Job.id).where(Job.state == "queued").order_by(Job.id).limit(5)).all():
            now = utcnow()
            res = s.execute(update(Job).where(Job.id == job_id, Job.state == "queued").values(
                state="running", worker=worker, started_at=now, heartbeat_at=now, progress_pct=0.0,
                stage="starting", message="", pick_time_s=None, pick_scale=None, attempts=Job.attempts + 1))
            s.commit()
            if res.rowcount == 1:
                return job_id
    return None


def requeue_stale(db: Database, max_age_s: float = STALE_AFTER_S) -> int:
    """Put running jobs without a recent heartbeat back in the queue; how many."""
    cutoff = utcnow() - dt.timedelta(seconds=max_age_s)
    with db.session() as s:
        res = s.execute(update(Job).where(Job.state == "running", Job.heartbeat_at < cutoff).values(
            state="queued", worker=None, progress_pct=0.0, stage="re-queued after a restart"))
        s.commit()
        return res.rowcount


def _set(db: Database, job_id: int, worker: str, **values) -> None:
    with db.session() as s:
        s.execute(update(Job).where(Job.id == job_id, Job.worker == worker, Job.state == "running").values(**values))
        s.commit()


class _Progress:
    """``progress(fraction, stage)`` → database, at most once per :data:`PROGRESS_INTERVAL_S`."""

    def __init__(self, db: Database, job_id: int, worker: str) -> None:
        self.db, self.job_id, self.worker = db, job_id, worker
        self.last = 0.0

    def __call__(self, fraction: float, stage: str) -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_INTERVAL_S:
            return
        self.last = now
        _set(self.db, self.job_id, self.worker, progress_pct=round(100 * min(max(fraction, 0.0), 1.0), 1),
             stage=stage[:64], heartbeat_at=utcnow())


def visit_dir(data_dir: Path, visit: Visit) -> Path:
    return Path(data_dir) / "visits" / visit.folder


def results_dir(data_dir: Path, visit: Visit) -> Path:
    return visit_dir(data_dir, visit) / "results"


def run_job(db: Database, data_dir: Path, job_id: int, worker: str, analyse: AnalyseFn,
            delete_uploads: bool = False) -> None:
    """Run a claimed job to done or failed (with the user-facing message). When the visit was
    deleted meanwhile, whatever the analysis wrote is removed."""
    with db.session() as s:
        job = s.get(Job, job_id)
        if job is None:
            return
        visit = job.visit
        folder = visit_dir(data_dir, visit)
        job_in = JobInput(folder / visit.side_clip if visit.side_clip else None,
                          folder / visit.front_clip if visit.front_clip else None, visit.height_cm, visit.pain_side,
                          visit.person_hint)
    try:
        _run(db, job_id, worker, analyse, job_in, folder, results_dir(data_dir, visit))
        if delete_uploads:
            delete_raw_uploads(db, data_dir, job_id)
    finally:
        with db.session() as s:
            deleted = s.get(Job, job_id) is None
        if deleted:
            shutil.rmtree(folder, ignore_errors=True)


def _run(db: Database, job_id: int, worker: str, analyse: AnalyseFn, job_in: JobInput, folder: Path,
         out: Path) -> None:
    from gaitlab.errors import AmbiguousWalkerError, GaitlabError

    try:
        note = analyse(job_in, out, _Progress(db, job_id, worker))
    except AmbiguousWalkerError as exc:
        pick = _pick_frame(job_in, folder, str(exc))
        message = str(exc).split("Point at the walker")[0] + (
            "Click on the person to analyse in the picture below." if pick is not None else
            "Upload each clip as a visit of its own to pick the walker on a frame, or record one person at a time.")
        _finish(db, job_id, worker, "failed", message, pick=pick)
        log.info("job %d failed: ambiguous walker", job_id)
        return
    except GaitlabError as exc:
        _finish(db, job_id, worker, "failed", str(exc))
        log.info("job %d failed: %s", job_id, type(exc).__name__)
        return
    except Exception as exc:  # noqa: BLE001 - shown as an internal error, logged without content
        _finish(db, job_id, worker, "failed", "The analysis stopped with an internal error. Please tell your "
                "administrator (job %d)." % job_id)
        log.error("job %d: internal error %s", job_id, type(exc).__name__, exc_info=True)
        return
    _finish(db, job_id, worker, "done", "", note=note or "")
    log.info("job %d done", job_id)


def _pick_frame(job: JobInput, folder: Path, message: str) -> tuple[float, float] | None:
    """Save the frame the ambiguity message names (``at T s``) as :data:`PICK_FRAME`, for a click on
    the walker; (time s, full-size px per shown px), or None (two clips, or no frame decoded)."""
    import re

    import cv2

    from gaitlab.pipeline import load_pipeline
    from gaitlab.video import iter_frames, probe

    m = re.search(r"at ([0-9.]+) s\)", message)
    clips = [c for c in (job.side, job.front) if c is not None]
    if m is None or len(clips) != 1:
        return None
    t_s = float(m.group(1))
    try:
        frames = iter_frames(probe(clips[0], load_pipeline(None).video), start_s=t_s)
        frame = next(iter(frames), None)
    except Exception:  # noqa: BLE001 - no picture: the message alone still says what to do
        log.warning("no frame for picking the walker", exc_info=True)
        return None
    if frame is None:
        return None
    h, w = frame.image.shape[:2]
    scale = w / PICK_WIDTH_PX
    small = cv2.resize(frame.image, (PICK_WIDTH_PX, round(h / scale)), interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(folder / PICK_FRAME), cv2.cvtColor(small, cv2.COLOR_RGB2BGR))
    return frame.t_s, scale


def _finish(db: Database, job_id: int, worker: str, state: str, message: str, note: str = "",
            pick: tuple[float, float] | None = None) -> None:
    extra: dict = {"progress_pct": 100.0} if state == "done" else {}
    if pick is not None:
        extra.update(pick_time_s=pick[0], pick_scale=pick[1])
    _set(db, job_id, worker, state=state, message=message, note=note, finished_at=utcnow(), stage=state, **extra)


def delete_raw_uploads(db: Database, data_dir: Path, job_id: int) -> None:
    """Delete a processed visit's uploaded clips (results stay)."""
    with db.session() as s:
        job = s.get(Job, job_id)
        if job is None:
            return
        visit = job.visit
        for name in (visit.side_clip, visit.front_clip):
            if name:
                (visit_dir(data_dir, visit) / name).unlink(missing_ok=True)
        visit.uploads_deleted = True
        s.commit()


def apply_retention(db: Database, data_dir: Path, days: float) -> int:
    """Delete raw uploads of jobs done more than ``days`` ago; how many visits."""
    cutoff = utcnow() - dt.timedelta(days=days)
    with db.session() as s:
        ids = s.scalars(select(Job.id).join(Visit).where(Job.state == "done", Job.finished_at <= cutoff,
                                                         Visit.uploads_deleted.is_(False))).all()
    for job_id in ids:
        delete_raw_uploads(db, data_dir, job_id)
    return len(ids)


def default_analyse(job: JobInput, out_dir: Path, progress: ProgressFn) -> str:
    """The real pipeline: ``gaitlab.analyze`` (a side and a front clip together through
    ``gaitlab.session.analyze_session``) then ``write_outputs``. Returns a note for the visit page."""
    from gaitlab import analyze
    from gaitlab.export import write_outputs
    from gaitlab.session import analyze_session

    clips = [c for c in (job.side, job.front) if c is not None]
    seen = {"clip": 0, "done": 0, "total": None}

    def on_frames(n: int, total: int | None) -> None:  # pose of one clip after the other
        if seen["total"] and seen["done"] >= seen["total"]:
            seen["clip"], seen["done"] = seen["clip"] + 1, 0
        seen["done"] += n
        seen["total"] = total
        if total:
            part = (min(seen["clip"], len(clips) - 1) + min(seen["done"] / total, 1.0)) / len(clips)
            progress(POSE_SHARE * part, "pose estimation")
        else:
            progress(0.0, f"pose estimation: {seen['done']} frames")

    kwargs = {"height_cm": job.height_cm, "progress": on_frames, "person_hint": job.person_hint}
    if len(clips) == 2:
        result = analyze_session(side=job.side, front=job.front, **kwargs)
    else:
        result = analyze(clips[0], **kwargs)
    progress(POSE_SHARE, "writing the report")
    params = inspect.signature(write_outputs).parameters
    extra = {k: v for k, v in (("video_path", clips[0]), ("blur", True), ("overlay", True),
                               ("front_video_path", job.front if len(clips) == 2 else None)) if k in params}
    write_outputs(result, out_dir, **extra)
    return ""


def _process_main(db_url: str, data_dir: str, job_id: int, worker: str, delete_uploads: bool) -> None:
    logging.basicConfig(level=logging.INFO)
    db = Database(db_url)
    run_job(db, Path(data_dir), job_id, worker, default_analyse, delete_uploads)


class Supervisor:
    """Runs queued jobs, at most ``workers`` at a time, in child processes (``processes=True``) or
    threads (tests, with a fake ``analyse``). ``start()``/``stop()``; ``run_once()`` for tests."""

    def __init__(self, db: Database, data_dir: Path, *, workers: int = 1, processes: bool = True,
                 analyse: AnalyseFn = default_analyse, retention_days: float | None = None) -> None:
        self.db, self.data_dir, self.workers = db, Path(data_dir), workers
        self.processes, self.analyse, self.retention_days = processes, analyse, retention_days
        self.id = f"w-{uuid.uuid4().hex[:12]}"
        self.running: dict[int, object] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_beat = self._last_sweep = 0.0

    def start(self) -> None:
        requeue_stale(self.db)
        self._thread = threading.Thread(target=self._loop, name="gaitlab-supervisor", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        for job_id, w in list(self.running.items()):
            if isinstance(w, multiprocessing.process.BaseProcess):
                w.terminate()
                w.join(5)
        self.running.clear()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                started = self.run_once()
            except Exception:  # noqa: BLE001 - keep supervising (database briefly unavailable, ...)
                log.exception("supervisor error")
                started = False
            if not started:
                self._stop.wait(POLL_S)

    def run_once(self) -> bool:
        """Reap finished workers, beat, sweep, start one queued job if a slot is free."""
        self._reap()
        now = time.monotonic()
        if now - self._last_beat >= HEARTBEAT_S and self.running:
            self._last_beat = now
            with self.db.session() as s:
                s.execute(update(Job).where(Job.id.in_(list(self.running)), Job.state == "running",
                                            Job.worker == self.id).values(heartbeat_at=utcnow()))
                s.commit()
        if now - self._last_sweep >= STALE_AFTER_S:
            self._last_sweep = now
            requeue_stale(self.db)
            if self.retention_days:
                apply_retention(self.db, self.data_dir, self.retention_days)
        if len(self.running) >= self.workers:
            return False
        job_id = claim_next(self.db, self.id)
        if job_id is None:
            return False
        delete_now = self.retention_days == 0
        if self.processes:
            ctx = multiprocessing.get_context("spawn")
            w = ctx.Process(target=_process_main, name=f"gaitlab-job-{job_id}", daemon=True,
                            args=(self.db.url, str(self.data_dir), job_id, self.id, delete_now))
        else:
            w = threading.Thread(target=run_job, name=f"gaitlab-job-{job_id}", daemon=True,
                                 args=(self.db, self.data_dir, job_id, self.id, self.analyse, delete_now))
        w.start()
        self.running[job_id] = w
        return True

    def _reap(self) -> None:
        for job_id, w in list(self.running.items()):
            if w.is_alive():
                continue
            del self.running[job_id]
            code = getattr(w, "exitcode", 0)
            if code:  # the child died without writing a result (killed, out of memory)
                _finish(self.db, job_id, self.id, "failed", "The analysis process stopped unexpectedly (it may "
                        "have run out of memory). Try a shorter clip or ask your administrator.")
                log.error("job %d: worker exited with code %s", job_id, code)
