"""Run clip tasks on a ``dask.distributed`` cluster: an existing one (``--scheduler tcp://host:8786``) or a
local one (``--dask-local N``: N worker processes with one thread each). Before any work: every worker
must see INPUT_DIR and OUT_DIR at the same paths (OUT_DIR writable), and the packages that decide the
numbers must have the same versions as here."""

from __future__ import annotations

import os
import uuid
import warnings
from concurrent.futures import Future
from pathlib import Path

from ..errors import ConfigError

#: Packages whose versions must match between this machine and every worker (beyond dask's own).
CHECKED_PACKAGES = ("mediapipe", "numpy", "scipy", "pandas", "av")
#: Seconds to wait for a scheduler and its workers.
CONNECT_TIMEOUT_S = 30


def _gaitlab_versions() -> dict[str, str]:
    """Run on each worker (and here): gaitlab's own version and output schema (dask cannot see the former)."""
    from .. import __version__
    from ..export import SCHEMA_VERSION

    return {"gaitlab": __version__, "output schema": SCHEMA_VERSION}


def _worker_sees(input_dir: str, out_dir: str, token: str) -> str:
    """Run on each worker: '' when the paths are right, else what is wrong."""
    if not os.path.isdir(input_dir):
        return f"cannot see INPUT_DIR {input_dir}"
    if not os.path.isfile(os.path.join(out_dir, token)):
        return f"does not see OUT_DIR {out_dir} as this machine does (the check file is missing)"
    probe = os.path.join(out_dir, f"{token}.{os.getpid()}")
    try:
        with open(probe, "w") as fh:
            fh.write("ok")
        os.remove(probe)
    except OSError as exc:
        return f"cannot write to OUT_DIR {out_dir} ({exc.strerror})"
    return ""


class DaskBackend:
    """``submit(fn, arg)`` returns a :class:`concurrent.futures.Future`; ``slots`` is the cluster's threads."""

    def __init__(self, input_dir: Path, out_dir: Path, *, scheduler: str | None = None, local_workers: int = 0) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ConfigError("--scheduler/--dask-local need dask.distributed: pip install 'dask[distributed]'.") from None
        self.cluster = None
        self.futures: list = []
        try:
            if scheduler:
                self.client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
            else:
                self.cluster = LocalCluster(n_workers=local_workers, threads_per_worker=1, processes=True,
                                            dashboard_address=None)
                self.client = Client(self.cluster)
        except (OSError, TimeoutError) as exc:
            raise ConfigError(f"Cannot reach the Dask scheduler {scheduler}: {exc}. Check the address and that "
                              "the scheduler is running (dask scheduler; dask worker ADDRESS).") from None
        try:
            self._check(input_dir, out_dir)
        except BaseException:
            self.close()
            raise
        self.slots = max(1, sum(self.client.nthreads().values()))
        self.description = f"Dask cluster {self.client.scheduler.address} ({self.slots} worker threads)"

    def _check(self, input_dir: Path, out_dir: Path) -> None:
        if not self.client.nthreads():
            self.client.wait_for_workers(1, timeout=CONNECT_TIMEOUT_S)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            versions = self.client.get_versions(check=True, packages=list(CHECKED_PACKAGES))
        mismatch = [str(w.message) for w in caught if "Mismatched versions" in str(w.message)]  # dask's own table
        mine = {**versions["client"]["packages"], **_gaitlab_versions()}
        ours = self.client.run(_gaitlab_versions)
        for addr, info in versions["workers"].items():
            theirs = {**(info or {}).get("packages", {}), **ours.get(addr, {})}
            mismatch += [f"{pkg} {theirs.get(pkg)} on worker {addr}, {mine.get(pkg)} here"
                         for pkg in (*CHECKED_PACKAGES, "gaitlab", "output schema") if theirs.get(pkg) != mine.get(pkg)]
        if mismatch:
            raise ConfigError("Package versions differ between this machine and the Dask workers: "
                              f"{'; '.join(mismatch)}. Install the same versions everywhere (results would differ).")
        out_dir.mkdir(parents=True, exist_ok=True)
        token = f".gaitlab-batch-check-{uuid.uuid4().hex}"
        (out_dir / token).write_text("ok")
        try:
            answers = self.client.run(_worker_sees, str(input_dir.resolve()), str(out_dir.resolve()), token)
        finally:
            (out_dir / token).unlink(missing_ok=True)
        bad = [f"worker {addr} {msg}" for addr, msg in answers.items() if msg]
        if bad:
            raise ConfigError(f"{'; '.join(bad)}. Every worker must see the input and output folders at the same "
                              "paths (a shared file system mounted identically).")

    def submit(self, fn, arg) -> Future:
        out: Future = Future()
        out.set_running_or_notify_cancel()
        dfut = self.client.submit(fn, arg, pure=False)

        def done(f) -> None:  # runs in the client's thread
            try:
                out.set_result(f.result())
            except BaseException as exc:  # noqa: BLE001 - handed to the caller as the task's failure
                out.set_exception(exc)

        dfut.add_done_callback(done)
        self.futures = [f for f in self.futures if not f.done()] + [dfut]
        return out

    def abort(self) -> None:
        self.client.cancel(self.futures, force=True)
        self.close()

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
