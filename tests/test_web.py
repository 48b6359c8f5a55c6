"""Web app API (TestClient): sign-in, ownership, CSRF, uploads, jobs, results, headers, deletion.

Jobs run in threads with a fast fake analysis here; tests/test_web_jobs.py has the claim and
restart tests and one slow end-to-end run of the real pipeline."""

from __future__ import annotations

import contextlib
import io
import os
import sys
import re
import shutil
import threading
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from gaitlab.errors import NoPersonError
from gaitlab.web.app import REPORT_CSP, Settings, create_app
from gaitlab.web.auth import add_user
from gaitlab.web.db import AuditEntry, Job, User, Visit
from gaitlab.web.routes import read_csv

SAMPLE = Path(__file__).resolve().parents[1] / "sample_videos" / "walk_side.mp4"
PASSWORD = "correct horse battery"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)


def make_realistic_outputs(folder: Path) -> Path:
    """Real gaitlab outputs (synthetic keypoints of a walker with a left antalgic gait; no pose)."""
    from gaitlab import analyze
    from gaitlab.cli import main
    from gaitlab.export import write_outputs

    kp = folder / "seq.csv"
    assert main(["synth", "--keypoints", "--pattern", "antalgic", "--side", "left", "--magnitude", "8", "--view",
                 "side", "--seconds", "20", "--seed", "1", "--out", str(kp)]) == 0
    return write_outputs(analyze(keypoints=kp, height_cm=175), folder / "out")


@contextlib.contextmanager
def live_server(app):
    """Serve ``app`` with uvicorn on a free local port, in a thread; yields its base URL."""
    import socket
    import time

    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(10)


def copying_analyse(src: Path):
    """An analysis that copies ready outputs (made once per test module)."""
    def analyse(job, out_dir, progress):
        assert job.side is not None or job.front is not None
        progress(0.5, "pose estimation")
        shutil.copytree(src, out_dir)
        if not (out_dir / "overlay.mp4").exists():  # keypoints have no video: any clip will do
            shutil.copy(SAMPLE, out_dir / "overlay.mp4")
        return f"copied; height {job.height_cm} cm, pain {job.pain_side}"
    return analyse


@pytest.fixture(scope="module")
def realistic(tmp_path_factory):
    return make_realistic_outputs(tmp_path_factory.mktemp("realistic"))


def failing_analyse(job, out_dir, progress):
    raise NoPersonError("Nobody walking was found; film the whole body of one walker.")


#: A PostgreSQL server for these tests (.ci/run starts one on loopback); without it they run on SQLite only.
POSTGRES_URL = os.environ.get("GAITLAB_TEST_POSTGRES_URL")
DB_URL: str | None = None  # set per test by the `database` fixture (None: SQLite in the data dir)


def fresh_postgres(url: str) -> str:
    """Empty the test database (tables of a previous test) and return ``url``."""
    from sqlalchemy import create_engine

    from gaitlab.web.db import Base

    engine = create_engine(url)
    Base.metadata.drop_all(engine)
    engine.dispose()
    return url


@pytest.fixture(autouse=True, params=["sqlite", "postgresql"])
def database(request, monkeypatch):
    """Every API test runs on SQLite and on PostgreSQL (skipped when no server is configured)."""
    if request.param == "postgresql":
        if not POSTGRES_URL:
            pytest.skip("no PostgreSQL server: set GAITLAB_TEST_POSTGRES_URL (.ci/run starts one)")
        monkeypatch.setattr(sys.modules[__name__], "DB_URL", fresh_postgres(POSTGRES_URL))
    return request.param


def make_app(tmp_path: Path, analyse, **kw):
    settings = Settings(data_dir=tmp_path / "data", database_url=DB_URL, processes=False, run_jobs=False,
                        analyse=analyse, **kw)
    app = create_app(settings)
    add_user(app.state.db, "alice", PASSWORD)
    add_user(app.state.db, "bob", PASSWORD)
    add_user(app.state.db, "root", PASSWORD, admin=True)
    return app


def run_jobs(app) -> None:
    """Process every queued job (supervisor in thread mode, joined)."""
    sup = app.state.supervisor
    while sup.run_once() or sup.running:
        for w in list(sup.running.values()):
            w.join(30)
        sup._reap()


def sign_in(client: TestClient, name: str, password: str = PASSWORD):
    client.cookies.clear()
    client.get("/login")
    token = client.cookies.get("gaitlab_prelogin")
    return client.post("/login", data={"csrf": token, "username": name, "password": password}, follow_redirects=False)


def csrf_of(client: TestClient) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/patients").text).group(1)


def new_patient(client, name="P-001") -> int:
    r = client.post("/patients", data={"csrf": csrf_of(client), "pseudonym": name}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return int(r.headers["location"].rsplit("/", 1)[1])


def upload(client, pid, content=None, name="walk.mp4", field="side", **fields):
    data = {"csrf": csrf_of(client), "height_cm": "172", "pain_side": "left", "notes": "knee pain", **fields}
    files = {field: (name, SAMPLE.read_bytes() if content is None else content, "video/mp4")}
    return client.post(f"/patients/{pid}/visits", data=data, files=files, follow_redirects=False)


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch):
    """argon2 with test-sized cost (the app's default cost is tested by test_user_add_cli)."""
    from argon2 import PasswordHasher

    monkeypatch.setattr("gaitlab.web.auth._hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def app(tmp_path, realistic):
    return make_app(tmp_path, copying_analyse(realistic))


@pytest.fixture
def alice(app):
    c = TestClient(app)
    assert sign_in(c, "alice").status_code == 303
    return c


@pytest.fixture
def done_visit(app, alice):
    """(patient id, visit id) of a processed visit of alice."""
    pid = new_patient(alice)
    r = upload(alice, pid)
    assert r.status_code == 303, r.text
    vid = int(r.headers["location"].rsplit("/", 1)[1])
    run_jobs(app)
    return pid, vid


def visit_urls(pid, vid):
    return [f"/patients/{pid}", f"/patients/{pid}/visits/new", f"/visits/{vid}", f"/visits/{vid}/status.json",
            f"/visits/{vid}/report", f"/visits/{vid}/overlay.mp4", f"/visits/{vid}/download/csv.zip",
            f"/visits/{vid}/download/analysis.json", f"/visits/{vid}/download/report.html",
            f"/patients/{pid}/compare?before={vid}&after={vid}",
            f"/patients/{pid}/compare/comparison.csv?before={vid}&after={vid}"]


def test_sign_in_required_everywhere(app, done_visit):
    pid, vid = done_visit
    anon = TestClient(app)
    gets = ["/", "/patients", "/audit", f"/visits/{vid}/pick.jpg", *visit_urls(pid, vid)]
    for url in gets:
        r = anon.get(url, follow_redirects=False)
        assert r.status_code in (303, 401), url
        assert r.status_code == 401 or r.headers["location"] == "/login", url
    posts = ["/patients", f"/patients/{pid}/visits", f"/visits/{vid}/delete", f"/patients/{pid}/delete", "/logout",
             f"/visits/{vid}/pick"]
    for url in posts:
        assert anon.post(url, data={"csrf": "x"}, follow_redirects=False).status_code == 401, url
    # every route of the app (but sign-in and static files) is among those tried (add new routes above)
    tried = [u.split("?")[0] for u in [*gets, *posts]]
    for route in app.routes:
        if route.path in ("/login", "/static"):
            continue
        pattern = re.sub(r"\{[a-z_]+\}", "[^/]+", route.path)
        assert any(re.fullmatch(pattern, u) for u in tried), route.path


def test_session_cookie_flags_and_sign_out(app):
    c = TestClient(app)
    r = sign_in(c, "alice")
    cookie = r.headers["set-cookie"]
    assert "gaitlab_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Secure" not in cookie
    r = c.post("/logout", data={"csrf": csrf_of(c)}, follow_redirects=False)
    assert r.status_code == 303
    assert c.get("/patients", follow_redirects=False).status_code == 303
    if DB_URL:
        fresh_postgres(DB_URL)
    secure = make_app(app.state.settings.data_dir.parent / "b", None, secure_cookies=True)
    c2 = TestClient(secure, base_url="https://testserver")
    assert "Secure" in sign_in(c2, "alice").headers["set-cookie"]


def test_wrong_password_and_lockout(app):
    c = TestClient(app)
    r = sign_in(c, "alice", "wrong password")
    assert r.status_code == 401 and "Wrong user name or password" in r.text
    assert sign_in(c, "nobody", "whatever1").status_code == 401
    for _ in range(4):
        sign_in(c, "alice", "wrong password")
    r = sign_in(c, "alice")  # right password, but locked now
    assert r.status_code == 401 and "locked" in r.text
    assert sign_in(c, "bob").status_code == 303


def test_sign_in_form_needs_its_token(app):
    c = TestClient(app)
    r = c.post("/login", data={"username": "alice", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 403


def test_other_user_gets_404_admin_sees_all(app, alice, done_visit):
    pid, vid = done_visit
    for url in visit_urls(pid, vid):
        assert alice.get(url).status_code == 200, url
    bob = TestClient(app)
    sign_in(bob, "bob")
    for url in visit_urls(pid, vid):
        r = bob.get(url)
        assert r.status_code == 404, url
        assert "P-001" not in r.text and "walk.mp4" not in r.text
    token = csrf_of(bob)
    assert bob.post(f"/visits/{vid}/delete", data={"csrf": token}).status_code == 404
    assert bob.post(f"/patients/{pid}/delete", data={"csrf": token}).status_code == 404
    assert upload(bob, pid).status_code == 404
    assert "P-001" not in bob.get("/patients").text
    assert bob.get("/audit").status_code == 404
    root = TestClient(app)
    sign_in(root, "root")
    for url in visit_urls(pid, vid):
        assert root.get(url).status_code == 200, url
    assert "P-001" in root.get("/patients").text
    audit = root.get("/audit").text
    assert "download_csv_zip" in audit and "view_report" in audit


def test_post_without_csrf_rejected(app, alice, done_visit):
    pid, vid = done_visit
    for url, data in [("/patients", {"pseudonym": "X"}), (f"/visits/{vid}/delete", {}),
                      (f"/patients/{pid}/delete", {}), ("/logout", {})]:
        assert alice.post(url, data=data).status_code == 403, url
        assert alice.post(url, data={**data, "csrf": "forged"}).status_code == 403, url
    before = set((app.state.settings.data_dir / "visits").iterdir())
    r = alice.post(f"/patients/{pid}/visits", data={"csrf": "forged"}, files={"side": ("a.mp4", SAMPLE.read_bytes())})
    assert r.status_code == 403
    assert set((app.state.settings.data_dir / "visits").iterdir()) == before
    assert alice.get(f"/visits/{vid}").status_code == 200  # nothing was deleted


@pytest.mark.parametrize("content, name, expect", [
    (b"just some notes\nnot a video\n", "clip.mp4", "not a video (looks like a text file)"),
    (PNG, "photo.mp4", "not a video (looks like a PNG image)"),
    (b"", "empty.mp4", "not a video (looks like an empty file)"),
])
def test_bad_uploads_rejected_with_readable_message(app, alice, content, name, expect):
    pid = new_patient(alice)
    r = upload(alice, pid, content, name)
    assert r.status_code == 422
    assert expect in r.text and name in r.text
    assert 'role="alert"' in r.text and "upload_" not in r.text  # the generated name is not shown
    assert list((app.state.settings.data_dir / "visits").iterdir()) == []
    with app.state.db.session() as s:
        assert s.scalars(select(Visit)).all() == []


def test_oversize_upload_rejected(tmp_path):
    app = make_app(tmp_path, None, max_upload_bytes=100_000)
    c = TestClient(app)
    sign_in(c, "alice")
    pid = new_patient(c)
    r = upload(c, pid)
    assert r.status_code == 413 and "larger than the limit of 0 MB" in r.text
    assert list((app.state.settings.data_dir / "visits").iterdir()) == []


def test_no_clip_and_bad_height(app, alice):
    pid = new_patient(alice)
    r = alice.post(f"/patients/{pid}/visits", data={"csrf": csrf_of(alice)}, files={"side": ("", b"")})
    assert r.status_code == 400 and "Choose a side-view clip" in r.text
    assert upload(alice, pid, height_cm="abc").status_code == 400
    assert list((app.state.settings.data_dir / "visits").iterdir()) == []


def test_traversal_names_harmless(app, alice, tmp_path):
    pid = new_patient(alice)
    r = upload(alice, pid, name="../../../../evil/<script>x.mp4")
    assert r.status_code == 303
    vid = int(r.headers["location"].rsplit("/", 1)[1])
    with app.state.db.session() as s:
        v = s.get(Visit, vid)
        assert re.fullmatch(r"upload_side_[0-9a-f]{16}\.bin", v.side_clip)
        assert v.side_name == "<script>x.mp4"
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert all(p.is_relative_to(app.state.settings.data_dir) for p in files)
    page = alice.get(f"/visits/{vid}").text
    assert "&lt;script&gt;x.mp4" in page and "<script>x" not in page


def test_processing_results_and_downloads(app, alice, done_visit, realistic):
    pid, vid = done_visit
    assert alice.get(f"/visits/{vid}/status.json").json() == {
        "state": "done", "progress_pct": 100.0, "stage": "done", "message": "",
        "note": "copied; height 172.0 cm, pain left"}  # the form's values reached the analysis
    page = alice.get(f"/visits/{vid}").text
    metrics = {(r["metric"], r["side"]): r for r in read_csv(realistic / "metrics.csv")}
    cadence = metrics[("cadence_steps_min", "left")]
    assert cadence["measurable"] == "True" and f"{float(cadence['value']):.3g} steps/min" in page
    flags = read_csv(realistic / "flags.csv")
    assert flags and all(f["name"] in page for f in flags)
    assert "Screening flags" in page and '<video id="overlay"' in page and "knee pain" in page
    r = alice.get(f"/visits/{vid}/report")
    assert r.headers["content-security-policy"] == REPORT_CSP and r.text == (realistic / "report.html").read_text()
    zf = zipfile.ZipFile(io.BytesIO(alice.get(f"/visits/{vid}/download/csv.zip").content))
    assert sorted(zf.namelist()) == [f"gaitlab_visit{vid}/{f.name}" for f in sorted(realistic.glob("*.csv"))]
    assert zf.read(f"gaitlab_visit{vid}/metrics.csv") == (realistic / "metrics.csv").read_bytes()
    r = alice.get(f"/visits/{vid}/download/analysis.json")
    assert r.json()["source"]["height_cm"] == 175 and "attachment" in r.headers["content-disposition"]
    r = alice.get(f"/visits/{vid}/download/report.html")
    assert "attachment" in r.headers["content-disposition"] and r.headers["content-security-policy"] == REPORT_CSP
    assert alice.get(f"/visits/{vid}/download/../../etc/passwd").status_code == 404
    assert alice.get(f"/visits/{vid}/download/nothing").status_code == 404


def test_overlay_range_requests(app, alice, done_visit):
    _, vid = done_visit
    data = SAMPLE.read_bytes()
    r = alice.get(f"/visits/{vid}/overlay.mp4", headers={"Range": "bytes=100-1099"})
    assert r.status_code == 206 and r.content == data[100:1100]
    assert r.headers["content-range"] == f"bytes 100-1099/{len(data)}"
    r = alice.get(f"/visits/{vid}/overlay.mp4", headers={"Range": f"bytes={len(data) - 10}-"})
    assert r.status_code == 206 and r.content == data[-10:]
    r = alice.get(f"/visits/{vid}/overlay.mp4")
    assert r.status_code == 200 and r.content == data and r.headers["accept-ranges"] == "bytes"


def test_security_headers(app, alice, done_visit):
    _, vid = done_visit
    for url in ["/login", "/patients", f"/visits/{vid}", f"/visits/{vid}/status.json", "/static/app.js"]:
        h = alice.get(url).headers
        assert h["x-content-type-options"] == "nosniff", url
        assert h["referrer-policy"] == "no-referrer", url
        assert "frame-ancestors 'none'" in h["content-security-policy"], url
        assert "unsafe-inline" not in h["content-security-policy"] and "script-src 'self'" in h["content-security-policy"]
    page = alice.get(f"/visits/{vid}").text
    assert "<script>" not in page and " style=" not in page and "onclick" not in page


def test_failed_job_shows_user_message(tmp_path):
    app = make_app(tmp_path, failing_analyse)
    c = TestClient(app)
    sign_in(c, "alice")
    vid = int(upload(c, new_patient(c)).headers["location"].rsplit("/", 1)[1])
    assert c.get(f"/visits/{vid}/status.json").json()["state"] == "queued"
    run_jobs(app)
    s = c.get(f"/visits/{vid}/status.json").json()
    assert s["state"] == "failed" and s["message"].startswith("Nobody walking was found")
    assert "Nobody walking was found" in c.get(f"/visits/{vid}").text
    assert c.get(f"/visits/{vid}/report").status_code == 404


def test_ambiguous_walker_picked_by_a_click(tmp_path, realistic):
    from gaitlab.errors import AmbiguousWalkerError

    hints = []

    def analyse(job, out_dir, progress):
        hints.append(job.person_hint)
        if job.person_hint is None:
            raise AmbiguousWalkerError("Two people walk in view at the same time and gaitlab cannot tell which one to "
                                       "analyse (near x=300,y=400 and x=900,y=420 px at 2.0 s). Point at the walker "
                                       "with --person-hint X,Y@T, or record one person at a time.")
        return copying_analyse(realistic)(job, out_dir, progress)

    app = make_app(tmp_path, analyse)
    c = TestClient(app)
    sign_in(c, "alice")
    vid = int(upload(c, new_patient(c)).headers["location"].rsplit("/", 1)[1])
    run_jobs(app)
    page = c.get(f"/visits/{vid}").text
    assert "Click on the person to analyse in the picture below." in page and "--person-hint" not in page
    assert 'type="image" name="pick"' in page
    img = c.get(f"/visits/{vid}/pick.jpg")
    assert img.status_code == 200 and img.content[:3] == b"\xff\xd8\xff"
    bob = TestClient(app)
    sign_in(bob, "bob")
    assert bob.get(f"/visits/{vid}/pick.jpg").status_code == 404
    assert bob.post(f"/visits/{vid}/pick", data={"csrf": csrf_of(bob), "pick.x": "1", "pick.y": "1"}).status_code == 404
    assert c.post(f"/visits/{vid}/pick", data={"pick.x": "300", "pick.y": "150"}).status_code == 403
    r = c.post(f"/visits/{vid}/pick", data={"csrf": csrf_of(c), "pick.x": "300", "pick.y": "150"}, follow_redirects=False)
    assert r.status_code == 303
    assert c.get(f"/visits/{vid}/status.json").json()["state"] == "queued"
    assert c.get(f"/visits/{vid}/pick.jpg").status_code == 404  # the frame is deleted once used
    run_jobs(app)
    assert hints == [None, "400,200@2.00"]  # 1280 px clip shown 960 px wide: × 4/3
    assert c.get(f"/visits/{vid}/status.json").json()["state"] == "done"
    assert c.post(f"/visits/{vid}/pick", data={"csrf": csrf_of(c), "pick.x": "3", "pick.y": "1"}).status_code == 409


def test_delete_visit_and_patient_removes_rows_and_files(app, alice, done_visit):
    pid, vid = done_visit
    vid2 = int(upload(alice, pid).headers["location"].rsplit("/", 1)[1])
    visits = app.state.settings.data_dir / "visits"
    assert len(list(visits.iterdir())) == 2
    r = alice.post(f"/visits/{vid}/delete", data={"csrf": csrf_of(alice)}, follow_redirects=False)
    assert r.status_code == 303 and alice.get(f"/visits/{vid}").status_code == 404
    assert len(list(visits.iterdir())) == 1
    alice.post(f"/patients/{pid}/delete", data={"csrf": csrf_of(alice)})
    assert alice.get(f"/patients/{pid}").status_code == 404 and alice.get(f"/visits/{vid2}").status_code == 404
    assert list(visits.iterdir()) == []
    with app.state.db.session() as s:
        assert s.scalars(select(Visit)).all() == [] and s.scalars(select(Job)).all() == []
        actions = [a.action for a in s.scalars(select(AuditEntry)).all()]
    assert {"delete_visit", "delete_patient", "upload", "create_patient", "sign_in"} <= set(actions)


def test_nothing_sensitive_in_logs(app, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    c = TestClient(app)
    sign_in(c, "alice")
    sign_in(c, "alice", "wrong-password-xyz")
    sign_in(c, "alice")
    pid = new_patient(c, "SECRET-PSEUDONYM")
    upload(c, pid, name="secret-file-name.mp4", notes="SECRET-NOTES")
    upload(c, pid, b"text", name="secret-text.mp4")
    run_jobs(app)
    assert caplog.records  # the app did log (job done, ...)
    for secret in ("SECRET-PSEUDONYM", "SECRET-NOTES", "secret-file-name", "secret-text", "wrong-password-xyz",
                   PASSWORD, c.cookies.get("gaitlab_session")):
        assert secret not in caplog.text


def test_visit_deleted_while_its_job_runs_leaves_no_files(tmp_path, realistic):
    started, release = threading.Event(), threading.Event()
    copy = copying_analyse(realistic)

    def analyse(job, out_dir, progress):
        started.set()
        release.wait(30)
        return copy(job, out_dir, progress)

    app = make_app(tmp_path, analyse)
    c = TestClient(app)
    sign_in(c, "alice")
    vid = int(upload(c, new_patient(c)).headers["location"].rsplit("/", 1)[1])
    sup = app.state.supervisor
    assert sup.run_once() and started.wait(30)
    assert c.post(f"/visits/{vid}/delete", data={"csrf": csrf_of(c)}, follow_redirects=False).status_code == 303
    release.set()
    for w in list(sup.running.values()):
        w.join(30)
    assert list((app.state.settings.data_dir / "visits").iterdir()) == []


def test_retention_deletes_uploads_after_processing(tmp_path, realistic):
    app = make_app(tmp_path, copying_analyse(realistic), retention_days=0)
    c = TestClient(app)
    sign_in(c, "alice")
    vid = int(upload(c, new_patient(c)).headers["location"].rsplit("/", 1)[1])
    folder = next((app.state.settings.data_dir / "visits").iterdir())
    assert len(list(folder.glob("upload_*"))) == 1
    run_jobs(app)
    assert list(folder.glob("upload_*")) == [] and (folder / "results" / "metrics.csv").is_file()
    assert "deleted after processing" in c.get(f"/visits/{vid}").text


def test_before_after_comparison(app, realistic):
    c = TestClient(app)
    sign_in(c, "alice")
    pid = new_patient(c)
    vid, vid2 = (int(upload(c, pid).headers["location"].rsplit("/", 1)[1]) for _ in range(2))
    run_jobs(app)
    assert "Before and after" in c.get(f"/patients/{pid}").text
    page = c.get(f"/patients/{pid}/compare?before={vid}&after={vid2}").text
    assert "cadence_steps_min" in page and "Screening flags" in page
    assert "<td>yes</td>" not in page  # the same outputs twice: no change beyond variability
    q = f"?before={vid}&after={vid2}"
    r = c.get(f"/patients/{pid}/compare/comparison.html{q}")
    assert r.status_code == 200 and r.headers["content-security-policy"] == REPORT_CSP
    r = c.get(f"/patients/{pid}/compare/comparison.csv{q}")
    assert r.text.startswith("metric,side,unit,old_value") and "attachment" in r.headers["content-disposition"]
    assert c.get(f"/patients/{pid}/compare/other.txt{q}").status_code == 404
    other = new_patient(c, "P-002")
    assert c.get(f"/patients/{other}/compare?before={vid}&after={vid2}").status_code == 404
    bob = TestClient(app)
    sign_in(bob, "bob")
    assert bob.get(f"/patients/{pid}/compare?before={vid}&after={vid2}").status_code == 404
    assert bob.get(f"/patients/{pid}/compare/comparison.csv{q}").status_code == 404


def test_user_add_cli(tmp_path, monkeypatch, capsys):
    from gaitlab.cli import main
    from gaitlab.web.db import Database

    where = ["--database-url", DB_URL] if DB_URL else ["--data-dir", str(tmp_path)]
    monkeypatch.setattr("sys.stdin", io.StringIO("a long password\n"))
    assert main(["user", "add", "carol", "--admin", *where]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["user", "add", "dave", *where]) == 2
    assert "at least 8 characters" in capsys.readouterr().err
    with (Database(DB_URL) if DB_URL else Database.in_dir(tmp_path)).session() as s:
        users = s.scalars(select(User)).all()
    assert [(u.name, u.is_admin) for u in users] == [("carol", True)]
    assert users[0].password_hash.startswith("$argon2id$")
