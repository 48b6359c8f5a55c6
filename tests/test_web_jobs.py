"""Web app jobs: atomic claim, one run per job with two supervisors, re-queue after a restart,
throttled progress, and one slow end-to-end run of the real pipeline in a worker process."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select, update

from gaitlab.web import jobs
from gaitlab.web.db import Database, Job, Patient, User, Visit, utcnow

SAMPLE = Path(__file__).resolve().parents[1] / "sample_videos" / "walk_side.mp4"


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    """A fresh database: SQLite file, or the PostgreSQL test server (skipped when none is configured)."""
    from test_web import POSTGRES_URL, fresh_postgres

    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db.sqlite3'}"
    if not POSTGRES_URL:
        pytest.skip("no PostgreSQL server: set GAITLAB_TEST_POSTGRES_URL (.ci/run starts one)")
    return fresh_postgres(POSTGRES_URL)


def make_jobs(db: Database, n: int) -> list[int]:
    with db.session() as s:
        u = User(name="u", password_hash="x")
        s.add(u)
        s.flush()
        p = Patient(pseudonym="p", owner_id=u.id)
        s.add(p)
        s.flush()
        for i in range(n):
            v = Visit(patient_id=p.id, owner_id=u.id, folder=f"f{i}", side_clip="clip.bin")
            v.job = Job()
            s.add(v)
        s.commit()
        return s.scalars(select(Job.id)).all()


def test_claim_is_atomic_between_connections(tmp_path, url):
    ids = make_jobs(Database(url), 40)
    claimed: dict[str, list[int]] = {"a": [], "b": [], "c": []}
    barrier = threading.Barrier(len(claimed))

    def claimer(name: str) -> None:
        db = Database(url)  # its own engine and connections, like another process
        barrier.wait()
        while (job_id := jobs.claim_next(db, name)) is not None:
            claimed[name].append(job_id)

    threads = [threading.Thread(target=claimer, args=(n,)) for n in claimed]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    everything = [j for got in claimed.values() for j in got]
    assert sorted(everything) == sorted(ids)  # every job claimed, none twice
    with Database(url).session() as s:
        rows = s.scalars(select(Job)).all()
    assert all(r.state == "running" and r.attempts == 1 for r in rows)
    assert {r.worker for r in rows if r.id in claimed["a"]} <= {"a"}


def test_one_queued_job_two_claimers_one_wins(tmp_path, url):
    make_jobs(Database(url), 1)
    a, b = Database(url), Database(url)
    results = [jobs.claim_next(a, "a"), jobs.claim_next(b, "b")]
    assert sorted(results, key=str) == [1, None]


def _fake(calls: Counter, lock: threading.Lock):
    def analyse(job, out_dir, progress):
        with lock:
            calls[out_dir.parent.name] += 1
        progress(0.5, "pose estimation")
        out_dir.mkdir(parents=True)  # fails if a second run of the same job reached this point
        (out_dir / "metrics.csv").write_text("metric\n")
        return ""
    return analyse


def test_two_supervisors_never_run_a_job_twice(tmp_path, url):
    make_jobs(Database(url), 12)
    calls, lock = Counter(), threading.Lock()
    sups = [jobs.Supervisor(Database(url), tmp_path, workers=2, processes=False, analyse=_fake(calls, lock))
            for _ in range(2)]

    def drive(sup):
        while True:
            started = sup.run_once()
            if not started and not sup.running:
                with sup.db.session() as s:
                    if not s.scalars(select(Job).where(Job.state == "queued")).first():
                        return
            time.sleep(0.01)

    threads = [threading.Thread(target=drive, args=(s,)) for s in sups]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    with Database(url).session() as s:
        rows = s.scalars(select(Job)).all()
    assert [r.state for r in rows] == ["done"] * 12, [r.message for r in rows]
    assert sorted(calls) == sorted(f"f{i}" for i in range(12)) and set(calls.values()) == {1}


def test_restart_requeues_orphaned_running_job(tmp_path, url):
    db = Database(url)
    old, alive = make_jobs(db, 2)
    assert jobs.claim_next(db, "dead-server") == old
    assert jobs.claim_next(db, "live-server") == alive
    with db.session() as s:  # the first server stopped an hour ago; the second is still beating
        s.execute(update(Job).where(Job.id == old).values(heartbeat_at=utcnow() - dt.timedelta(hours=1)))
        s.commit()
    calls, lock = Counter(), threading.Lock()
    sup = jobs.Supervisor(Database(url), tmp_path, processes=False, analyse=_fake(calls, lock))
    sup.start()
    try:
        for _ in range(600):
            with db.session() as s:
                if s.get(Job, old).state == "done":
                    break
            time.sleep(0.05)
    finally:
        sup.stop()
    with db.session() as s:
        j_old, j_alive = s.get(Job, old), s.get(Job, alive)
    assert j_old.state == "done" and j_old.attempts == 2 and j_old.worker == sup.id
    assert j_alive.state == "running" and j_alive.worker == "live-server"
    assert calls == Counter({"f0": 1})


def test_progress_written_at_most_once_a_second(tmp_path, monkeypatch):
    db = Database(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    (job_id,) = make_jobs(db, 1)
    jobs.claim_next(db, "w")
    clock = {"t": 1000.0}
    monkeypatch.setattr(jobs.time, "monotonic", lambda: clock["t"])
    writes = []
    real_set = jobs._set
    monkeypatch.setattr(jobs, "_set", lambda *a, **kw: (writes.append(kw["progress_pct"]), real_set(*a, **kw)))
    progress = jobs._Progress(db, job_id, "w")
    for i in range(1, 101):  # 100 calls over 3.1 s (a step exact in binary)
        progress(i / 100, "pose estimation")
        clock["t"] += 1 / 32
    assert writes == [1.0, 33.0, 65.0, 97.0]
    with db.session() as s:
        assert s.get(Job, job_id).progress_pct == 97.0


def test_retention_sweep_deletes_old_uploads_only(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    first, second = make_jobs(db, 2)
    for folder in ("f0", "f1"):
        (tmp_path / "visits" / folder).mkdir(parents=True)
        (tmp_path / "visits" / folder / "clip.bin").write_bytes(b"x")
    with db.session() as s:
        s.execute(update(Job).values(state="done"))
        s.execute(update(Job).where(Job.id == first).values(finished_at=utcnow() - dt.timedelta(days=31)))
        s.execute(update(Job).where(Job.id == second).values(finished_at=utcnow() - dt.timedelta(days=1)))
        s.commit()
    assert jobs.apply_retention(db, tmp_path, days=30) == 1
    assert not (tmp_path / "visits/f0/clip.bin").exists() and (tmp_path / "visits/f1/clip.bin").exists()


@pytest.mark.slow
def test_real_pipeline_end_to_end_in_worker_process(tmp_path):
    """Upload the sample clip through the API; a worker process runs gaitlab.analyze and write_outputs."""
    from fastapi.testclient import TestClient

    from gaitlab.web.app import Settings, create_app
    from gaitlab.web.auth import add_user
    from test_web import csrf_of, new_patient, sign_in, upload

    app = create_app(Settings(data_dir=tmp_path / "data", processes=True, run_jobs=True))
    add_user(app.state.db, "alice", "correct horse battery")
    with TestClient(app) as c:
        sign_in(c, "alice")
        vid = int(upload(c, new_patient(c)).headers["location"].rsplit("/", 1)[1])
        seen = set()
        for _ in range(1200):  # a bound against hanging, not a speed assertion
            status = c.get(f"/visits/{vid}/status.json").json()
            seen.add(status["state"])
            if status["state"] in ("done", "failed"):
                break
            time.sleep(0.25)
        assert status["state"] == "done", status
        assert "running" in seen
        page = c.get(f"/visits/{vid}").text
        assert "cadence_steps_min" in page and "steps/min" in page
        r = c.get(f"/visits/{vid}/download/csv.zip")
        assert r.status_code == 200 and len(r.content) > 1000
        assert csrf_of(c)
