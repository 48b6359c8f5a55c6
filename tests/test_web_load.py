"""Bounded load test on loopback: 20 concurrent uploads by 4 users through a real HTTP server.

All jobs complete; none is lost or shown to another user; the 95th percentile of page times is
printed (measured, not asserted). Jobs use test_web.py's copying analysis (the pipeline's own speed
is measured by benchmarks/)."""

from __future__ import annotations

import concurrent.futures as cf
import re
import time

import httpx
import pytest

USERS = ("u1", "u2", "u3", "u4")
UPLOADS_PER_USER = 5


@pytest.fixture(scope="module")
def realistic(tmp_path_factory):
    from test_web import make_realistic_outputs

    return make_realistic_outputs(tmp_path_factory.mktemp("realistic"))


@pytest.mark.slow
def test_concurrent_uploads_by_four_users(tmp_path, realistic):
    from test_web import PASSWORD, SAMPLE, copying_analyse, live_server

    from gaitlab.web.app import Settings, create_app
    from gaitlab.web.auth import add_user

    app = create_app(Settings(data_dir=tmp_path / "data", processes=False, workers=2,
                              analyse=copying_analyse(realistic)))
    for name in USERS:
        add_user(app.state.db, name, PASSWORD)
    with live_server(app) as base:
        times: dict[str, list[float]] = {"GET": [], "POST": []}
        clip = SAMPLE.read_bytes()

        def timed(client, method, url, **kw):
            t0 = time.perf_counter()
            r = client.request(method, url, **kw)
            times[method].append(time.perf_counter() - t0)
            return r

        def csrf(client):
            return re.search(r'name="csrf" value="([^"]+)"', timed(client, "GET", "/patients").text).group(1)

        clients, patients = {}, {}
        for name in USERS:
            c = httpx.Client(base_url=base, timeout=120)
            c.get("/login")
            c.post("/login", data={"csrf": c.cookies["gaitlab_prelogin"], "username": name, "password": PASSWORD})
            r = c.post("/patients", data={"csrf": csrf(c), "pseudonym": f"patient-of-{name}"})
            clients[name], patients[name] = c, int(r.headers["location"].rsplit("/", 1)[1])

        def one_upload(name: str, i: int) -> tuple[str, int]:
            c = clients[name]
            r = timed(c, "POST", f"/patients/{patients[name]}/visits",
                      data={"csrf": csrf(c), "height_cm": str(150 + i), "pain_side": "none", "notes": f"{name} upload {i}"},
                      files={"side": (f"{name}_{i}.mp4", clip, "video/mp4")})
            assert r.status_code == 303 and r.headers["location"].startswith("/visits/"), r.text[:300]
            return name, int(r.headers["location"].rsplit("/", 1)[1])

        with cf.ThreadPoolExecutor(8) as pool:
            made = list(pool.map(lambda a: one_upload(*a), [(n, i) for n in USERS for i in range(UPLOADS_PER_USER)]))
        assert len({vid for _, vid in made}) == len(USERS) * UPLOADS_PER_USER
        pending = {vid: name for name, vid in made}
        for _ in range(2400):  # a bound against hanging
            for vid, name in list(pending.items()):
                if timed(clients[name], "GET", f"/visits/{vid}/status.json").json()["state"] in ("done", "failed"):
                    del pending[vid]
            if not pending:
                break
            time.sleep(0.25)
        assert not pending
        for name, vid in made:
            own = clients[name]
            page = timed(own, "GET", f"/visits/{vid}").text
            assert own.get(f"/visits/{vid}/status.json").json()["state"] == "done"
            assert f"{name}_" in page and f"{name} upload" in page
            for other in USERS:
                if other != name:
                    assert clients[other].get(f"/visits/{vid}").status_code == 404
            listing = timed(own, "GET", f"/patients/{patients[name]}").text
            assert listing.count('<a href="/visits/') == UPLOADS_PER_USER
    for method, label in (("GET", "page"), ("POST", "upload (with the probe)")):
        t = sorted(times[method])
        print(f"\nload: {label}: {len(t)} requests, p95 {1000 * t[int(0.95 * (len(t) - 1))]:.0f} ms, "
              f"median {1000 * t[len(t) // 2]:.0f} ms, max {1000 * t[-1]:.0f} ms", end="")
    print(f" ({len(made)} uploads by {len(USERS)} users, 8 at a time)")
