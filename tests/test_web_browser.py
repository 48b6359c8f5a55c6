"""Browser test: Playwright drives Debian's Chromium (/usr/bin/chromium; skipped when absent).

Sign in, create a patient, upload a clip with the keyboard, watch progress reach done, see the
flags, play the overlay video, download the CSV zip, open the report, compare two visits.
Screenshots go to /tmp/web_shots (look at them after a change to the pages)."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path("/tmp/web_shots")
SAMPLE = Path(__file__).resolve().parents[1] / "sample_videos" / "walk_side.mp4"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not installed (/usr/bin/chromium)")


def slow_copying_analyse(src: Path):
    """test_web.py's copying analysis after 3 s of visible progress."""
    from test_web import copying_analyse

    copy = copying_analyse(src)

    def analyse(job, out_dir, progress):
        for i in range(1, 7):
            progress(i / 8, "pose estimation")
            time.sleep(0.5)
        return copy(job, out_dir, progress)
    return analyse


@pytest.fixture(scope="module")
def realistic(tmp_path_factory):
    from test_web import make_realistic_outputs

    return make_realistic_outputs(tmp_path_factory.mktemp("realistic"))


@pytest.fixture
def server(tmp_path, realistic):
    from test_web import PASSWORD, live_server

    from gaitlab.web.app import Settings, create_app
    from gaitlab.web.auth import add_user

    app = create_app(Settings(data_dir=tmp_path / "data", processes=False, analyse=slow_copying_analyse(realistic)))
    add_user(app.state.db, "alice", PASSWORD)
    with live_server(app) as base:
        yield base


def test_clinician_flow_in_chromium(server):
    from playwright.sync_api import expect, sync_playwright
    from test_web import PASSWORD

    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        errors = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(server + "/patients")  # redirected to sign in
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        page.screenshot(path=SHOTS / "1_sign_in.png")
        page.get_by_label("User name").fill("alice")
        page.get_by_label("Password").fill(PASSWORD)
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Patients")).to_be_visible()

        page.get_by_label("Pseudonymous id").fill("GL-0042")
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Patient GL-0042")).to_be_visible()
        page.get_by_role("link", name="New visit: upload clips").click()

        def upload(height: str) -> None:  # keyboard only, but for the file chooser itself
            page.get_by_label("Side view clip").set_input_files(str(SAMPLE))
            page.get_by_label("Height (cm)").focus()
            page.keyboard.type(height)
            page.keyboard.press("Tab")  # pain side select
            page.keyboard.press("ArrowDown")  # none → left
            page.get_by_label("Notes").focus()
            page.keyboard.type("Pain in the left buttock after walking 10 minutes.")
            page.keyboard.press("Tab")
            assert page.evaluate("document.activeElement.id") == "upload-button"
            page.keyboard.press("Enter")

        expect(page.get_by_role("heading", name="Recording protocol")).to_be_visible()
        page.screenshot(path=SHOTS / "2_upload.png", full_page=True)
        upload("172")
        expect(page.locator("#job-progress")).to_be_visible(timeout=30_000)
        expect(page.locator("#job-pct")).not_to_have_text("0 %", timeout=30_000)  # updated by app.js polling
        page.screenshot(path=SHOTS / "3_progress.png", full_page=True)
        expect(page.get_by_role("heading", name="Key metrics")).to_be_visible(timeout=60_000)
        expect(page.get_by_role("heading", name="Screening flags")).to_be_visible()
        expect(page.locator("details.flag-group").first).to_be_visible()
        expect(page.locator("dd.notes")).to_have_text("Pain in the left buttock after walking 10 minutes.")
        assert page.locator("#job-status .state").inner_text() == "done"

        played = page.evaluate("""async () => { const v = document.getElementById('overlay'); v.muted = true;
            await v.play(); await new Promise(r => setTimeout(r, 700)); v.pause(); return v.currentTime; }""")
        assert played > 0.2
        page.screenshot(path=SHOTS / "4_results.png", full_page=True)

        with page.expect_download() as dl:
            page.get_by_role("link", name="Download the tables (CSV, zip)").click()
        names = zipfile.ZipFile(io.BytesIO(Path(dl.value.path()).read_bytes())).namelist()
        assert any(n.endswith("metrics.csv") for n in names)

        visit_url = page.url
        page.goto(visit_url + "/report")
        expect(page.get_by_role("heading", name="Gait screening report")).to_be_visible()
        page.screenshot(path=SHOTS / "5_report.png")

        page.goto(visit_url)
        page.get_by_role("link", name="GL-0042").click()
        page.get_by_role("link", name="New visit: upload clips").click()
        upload("180")
        expect(page.get_by_role("heading", name="Key metrics")).to_be_visible(timeout=60_000)
        page.get_by_role("link", name="GL-0042").click()
        page.screenshot(path=SHOTS / "6_patient.png", full_page=True)
        page.get_by_role("button", name="Compare").click()
        expect(page.get_by_role("heading", name="Before and after")).to_be_visible()
        expect(page.get_by_role("cell", name="cadence_steps_min").first).to_be_visible()
        page.screenshot(path=SHOTS / "7_compare.png", full_page=True)
        browser.close()
    assert errors == [], errors
