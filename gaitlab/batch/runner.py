"""The per-clip task (runs in a worker process: hash, skip when done, ``analyze()``, ``write_outputs()``,
done-marker) and the orchestrator that feeds tasks to a process pool or a Dask cluster, collects their
results into the aggregates and reports progress."""

from __future__ import annotations

import inspect
import multiprocessing
import os
import signal
import sys
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from .. import __version__
from ..errors import ConfigError, GaitlabError
from .discover import Clip, discover, read_manifest
from .state import DONE_MARKER, HashCache, analysis_key, check_schema, is_done, publish, remove_stale


@dataclass
class ClipTask:
    """Everything a worker needs for one clip or session (picklable)."""

    clip: Clip
    clip_dir: Path
    config: Any  # PipelineConfig
    key: str
    shas: list[str | None]  # content hash of each of clip.videos, when the hash cache knew it
    write_kwargs: dict = field(default_factory=dict)  # blur / overlay


def write_options(blur: bool, overlay: bool) -> dict:
    """The write_outputs options this gaitlab supports (part of the analysis key)."""
    from ..export import write_outputs

    params = inspect.signature(write_outputs).parameters
    return {k: v for k, v in (("blur", blur), ("overlay", overlay)) if k in params}


def _analyse_and_write(task: ClipTask, staging: Path, shas: list[str]) -> dict:
    from ..analysis import analyze
    from ..export import write_outputs

    clip, params = task.clip, inspect.signature(write_outputs).parameters
    kw = dict(task.write_kwargs)
    if "video_path" in params:
        kw["video_path"] = clip.path
    if clip.front is not None:
        from ..session import analyze_session

        analysis = analyze_session(side=clip.path, front=clip.front, pipeline=task.config, chunks=1,
                                   **clip.analyze_kwargs)
        kw["front_video_path"] = clip.front
    else:
        analysis = analyze(clip.path, pipeline=task.config, chunks=1, video_sha256=shas[0], **clip.analyze_kwargs)
    write_outputs(analysis, staging, **kw)
    return analysis.timings_s


def combined_sha(shas: list[str]) -> str:
    return shas[0] if len(shas) == 1 else "+".join(shas)


def run_clip(task: ClipTask) -> dict[str, Any]:
    """Analyse one clip (or session) into ``task.clip_dir``; never raises for a clip's own problems (they
    are returned as ``status='failed'`` with the error class and message)."""
    from ..cache import file_sha256

    t0 = time.perf_counter()
    res: dict[str, Any] = {"clip_id": task.clip.clip_id, "status": "failed", "shas": list(task.shas), "sha256": None,
                           "error_class": None, "message": None}
    try:
        res["shas"] = [s or file_sha256(v) for s, v in zip(task.shas, task.clip.videos)]
        res["sha256"] = sha = combined_sha(res["shas"])
        if is_done(task.clip_dir, sha, task.key):
            res["status"] = "cached"
        else:
            remove_stale(task.clip_dir)
            staging = task.clip_dir.parent / f".{task.clip_dir.name}.batch-{os.getpid()}"
            timings = _analyse_and_write(task, staging, res["shas"])
            from ..export import SCHEMA_VERSION

            publish(staging, task.clip_dir, {
                "video_sha256": sha, "analysis_key": task.key, "gaitlab_version": __version__,
                "schema_version": SCHEMA_VERSION, "pipeline_sha256": task.config.hash(),
                "relative_path": task.clip.relative_path, "front_relative_path": task.clip.front_relative_path or None,
                "analyze_kwargs": task.clip.analyze_kwargs, "write_kwargs": task.write_kwargs, "timings_s": timings})
            res["status"] = "analysed"
    except GaitlabError as exc:
        res.update(error_class=type(exc).__name__, message=str(exc))
    except Exception as exc:  # noqa: BLE001 - isolate the clip (MemoryError included); the batch goes on
        where = traceback.extract_tb(exc.__traceback__)[-1]
        res.update(error_class=type(exc).__name__,
                   message=f"internal error: {exc} (at {Path(where.filename).name}:{where.lineno}); please report it")
    res["seconds"] = time.perf_counter() - t0
    return res


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle


class PoolBackend:
    """A process pool (forkserver on Linux, spawn elsewhere: MediaPipe is not fork-safe once imported)."""

    def __init__(self, workers: int) -> None:
        if "forkserver" in multiprocessing.get_all_start_methods():
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(["gaitlab.analysis", "gaitlab.export"])  # imported once, not per worker
        else:
            ctx = multiprocessing.get_context("spawn")
        self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_ignore_sigint)
        self.slots = workers
        self.description = f"{workers} worker process(es)"

    def submit(self, fn, arg) -> Future:
        return self.pool.submit(fn, arg)

    def abort(self) -> None:
        procs = list((getattr(self.pool, "_processes", None) or {}).values())  # no public way to stop running tasks
        self.pool.shutdown(wait=False, cancel_futures=True)
        for p in procs:
            p.terminate()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class InlineBackend:
    """``--workers 0``: run each clip in this process (debugging; no crash isolation)."""

    slots = 1
    description = "this process (--workers 0)"

    def submit(self, fn, arg) -> Future:
        f: Future = Future()
        f.set_result(fn(arg))
        return f

    def abort(self) -> None:
        pass

    def close(self) -> None:
        pass


@dataclass
class BatchOptions:
    input_dir: Path
    out_dir: Path
    pattern: str | None = None
    workers: int = max(1, (os.cpu_count() or 1))
    pipeline: str | Path | None = None
    scheduler: str | None = None
    dask_local: int = 0
    manifest: Path | None = None
    retry_failed: bool = False
    blur: bool = True  # pixelate faces in the report's images and overlay video
    overlay: bool = True  # write overlay.mp4
    interactive: bool | None = None  # progress bar; None: when stderr is a terminal


@dataclass
class BatchReport:
    counts: dict[str, int] = field(default_factory=lambda: dict(succeeded=0, failed=0, skipped=0, cached=0))
    interrupted: bool = False
    ignored_files: int = 0
    seconds: float = 0.0
    results: list[dict] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """130 after Ctrl-C, 3 when any clip failed (now or, skipped, before), else 0."""
        return 130 if self.interrupted else 3 if self.counts["failed"] or self.counts["skipped"] else 0

    def final_line(self, out_dir: Path) -> str:
        c = self.counts
        return (f"gaitlab batch: {c['succeeded']} succeeded, {c['failed']} failed, {c['skipped']} skipped, "
                f"{c['cached']} cached in {self.seconds:.1f} s; results in {out_dir}/"
                + (" (interrupted: run the same command again to resume)" if self.interrupted else ""))


def _backend(opts: BatchOptions, n_tasks: int):
    if opts.scheduler or opts.dask_local:
        from .dask_backend import DaskBackend

        return DaskBackend(opts.input_dir, opts.out_dir, scheduler=opts.scheduler, local_workers=opts.dask_local)
    if opts.workers == 0:
        return InlineBackend()
    return PoolBackend(max(1, min(opts.workers, n_tasks)))


def run_batch(opts: BatchOptions, log: TextIO = sys.stderr) -> BatchReport:
    """Run a batch; returns the counts. Raises GaitlabError for problems found before any work starts."""
    from ..export import SCHEMA_VERSION
    from ..pipeline import load_pipeline
    from .aggregate import Aggregates
    from .progress import Progress

    t_start = time.perf_counter()
    if not opts.input_dir.is_dir():
        raise ConfigError(f"{opts.input_dir} is not a folder; give the folder that holds the videos.")
    if opts.out_dir.resolve() == opts.input_dir.resolve():
        raise ConfigError("--out must be another folder than INPUT_DIR (a subfolder is fine: it is not searched).")
    if opts.scheduler and opts.dask_local:
        raise ConfigError("Give either --scheduler or --dask-local, not both.")
    if opts.workers < 0:
        raise ConfigError("--workers must be 0 (run in this process) or more.")
    cfg = load_pipeline(opts.pipeline)
    report = BatchReport()
    if opts.manifest is not None:
        clips = read_manifest(Path(opts.manifest), opts.input_dir)
    else:
        clips, report.ignored_files = discover(opts.input_dir, opts.pattern, exclude=opts.out_dir)
    if not clips:
        raise ConfigError(f"No videos found under {opts.input_dir}" + (f" matching '{opts.pattern}'" if opts.pattern else "")
                          + "; check the folder and --pattern.")
    out = opts.out_dir
    dirs = {c.clip_id: out / c.clip_id for c in clips}
    check_schema(out, list(dirs.values()), SCHEMA_VERSION)
    write_kw = write_options(opts.blur, opts.overlay)
    keys = {c.clip_id: analysis_key(cfg.hash(), {"view": "auto", "session": c.front is not None, **c.analyze_kwargs},
                                    write_kw, SCHEMA_VERSION) for c in clips}
    agg = Aggregates(out, SCHEMA_VERSION)
    before = agg.previous_errors()
    hashes = HashCache()
    todo: list[ClipTask] = []
    for c in clips:
        shas = [hashes.get(v) for v in c.videos]
        sha = combined_sha(shas) if all(shas) else None
        prev = before.get(c.clip_id)
        if sha and is_done(dirs[c.clip_id], sha, keys[c.clip_id]):
            agg.add_done(c, dirs[c.clip_id], "cached")
            report.counts["cached"] += 1
        elif (sha and prev and not opts.retry_failed and prev.get("video_sha256") == sha
              and prev.get("analysis_key") == keys[c.clip_id]):
            agg.add_error(c, prev["error_class"], prev["message"], sha, keys[c.clip_id], status="skipped")
            report.counts["skipped"] += 1
        else:
            todo.append(ClipTask(c, dirs[c.clip_id], cfg, keys[c.clip_id], shas, write_kw))
    agg.write()
    by_id = {t.clip.clip_id: t for t in todo}
    backend = _backend(opts, len(todo)) if todo else None
    interactive = log.isatty() if opts.interactive is None else opts.interactive
    progress = Progress(len(todo), interactive=interactive, stream=log)
    if backend is not None:
        print(f"gaitlab batch: {len(clips)} clip(s): {report.counts['cached']} already done, "
              f"{report.counts['skipped']} failed before (skipped; --retry-failed runs them), {len(todo)} to run on "
              f"{backend.description}" + (f"; {report.ignored_files} other file(s) ignored" if report.ignored_files else ""),
              file=log)
    queue = list(reversed(todo))
    running: dict[Future, ClipTask] = {}
    try:
        while queue or running:
            while queue and len(running) < backend.slots:
                task = queue.pop()
                running[backend.submit(run_clip, task)] = task
                progress.started(task.clip.clip_id)
            done, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for fut in done:
                task = running.pop(fut)
                try:
                    res = fut.result()
                except Exception as exc:  # noqa: BLE001 - the worker itself died (crash, out of memory)
                    res = {"clip_id": task.clip.clip_id, "status": "failed", "shas": task.shas, "sha256": None,
                           "error_class": type(exc).__name__, "seconds": 0.0,
                           "message": f"the worker process died while analysing this clip ({exc}); "
                                      "it may be too long for the memory available — retry with fewer --workers"}
                _record(res, by_id[res["clip_id"]], agg, hashes, report)
                progress.finished(res)
                agg.write(force=False)
            if isinstance(backend, PoolBackend) and getattr(backend.pool, "_broken", False):
                backend.close()  # a crashed worker breaks the whole pool: start a new one for the rest
                backend = PoolBackend(backend.slots)
    except KeyboardInterrupt:
        report.interrupted = True
        if backend is not None:
            backend.abort()
    finally:
        progress.close()
        if backend is not None and not report.interrupted:
            backend.close()
        hashes.close()
        agg.write()
    report.seconds = time.perf_counter() - t_start
    if report.interrupted:
        left = len(todo) - len(report.results)
        print(f"gaitlab batch: interrupted; {left} clip(s) not finished (nothing half-written is counted as done). "
              "Run the same command again to resume: finished clips are not redone.", file=log)
    return report


def _record(res: dict, task: ClipTask, agg, hashes: HashCache, report: BatchReport) -> None:
    for video, sha in zip(task.clip.videos, res.get("shas") or []):
        if sha:
            hashes.put(video, sha)
    report.results.append(res)
    if res["status"] == "failed":
        agg.add_error(task.clip, res["error_class"], res["message"], res.get("sha256"), task.key)
        report.counts["failed"] += 1
        return
    if not (task.clip_dir / DONE_MARKER).is_file():  # a remote worker's view differs: say so, do not guess
        res.update(status="failed", error_class="MissingOutput",
                   message=f"the worker reported success but {task.clip_dir} has no {DONE_MARKER} here")
        agg.add_error(task.clip, res["error_class"], res["message"], res.get("sha256"), task.key)
        report.counts["failed"] += 1
        return
    report.counts["succeeded" if res["status"] == "analysed" else "cached"] += 1
    agg.add_done(task.clip, task.clip_dir, res["status"])
