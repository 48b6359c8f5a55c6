"""Visit routes: upload form and upload, live status, results, report, overlay video (Range),
downloads, before/after comparison, deletion. Every route checks ownership (404 otherwise)."""

from __future__ import annotations

import csv
import json
import secrets
import shutil
import tempfile
import zipfile
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from gaitlab.errors import GaitlabError

from .db import Job, Visit
from .jobs import PICK_FRAME, PICK_WIDTH_PX, results_dir, visit_dir
from .probe import ProbeRejected, probe_clip
from .uploads import UploadError, parse_upload

PAIN_SIDES = {"none": "none reported", "left": "left", "right": "right", "both": "both sides"}
#: Metrics shown on the visit page first (all of metrics.csv is in the report and the downloads).
KEY_METRICS = ("cadence_steps_min", "speed_ll_s", "speed_m_s", "stance_pct", "stance_time_asymmetry",
               "step_time_asymmetry", "step_length_asymmetry", "knee_flex_swing_peak_deg")


def read_csv(path: Path, limit: int = 500) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with open(path, newline="", encoding="utf-8") as fh:
        return [row for _, row in zip(range(limit), csv.DictReader(fh))]


def _fmt(value: str, digits: int = 3) -> str:
    try:
        return f"{float(value):.{digits}g}"
    except ValueError:
        return value


def group_flags(rows: list[dict[str, str]]) -> dict[str, list[dict[str, str]]]:
    """flags.csv rows by status: flagged (any other status), not_flagged, not_assessable."""
    groups: dict[str, list[dict[str, str]]] = {"flagged": [], "not_flagged": [], "not_assessable": []}
    for r in rows:
        status = r.get("status", "")
        groups[status if status in ("not_flagged", "not_assessable") else "flagged"].append(r)
    return groups


def add_visit_routes(app: FastAPI) -> None:
    settings, db, page, ctx_of = app.state.settings, app.state.db, app.state.page, app.state.ctx_of

    def owned_visit(ctx, s, visit_id: int) -> Visit:
        v = s.get(Visit, visit_id)
        if v is None or not (ctx.user.is_admin or v.owner_id == ctx.user.id):
            raise HTTPException(404, "No such visit.")
        return v

    def visit_and_results(request: Request, visit_id: int, action: str | None):
        ctx = ctx_of(request)
        with db.session() as s:
            v = owned_visit(ctx, s, visit_id)
            job, patient = v.job, v.patient
        if action:
            db.audit(ctx.user.id, action, f"visit:{visit_id}")
        return ctx, v, job, patient, results_dir(settings.data_dir, v)

    def result_file(request: Request, visit_id: int, name: str, action: str | None) -> Path:
        _, _, job, _, out = visit_and_results(request, visit_id, None)
        path = out / name
        if job is None or job.state != "done" or not path.is_file():
            raise HTTPException(404, "This result does not exist (yet).")
        if action:
            db.audit(ctx_of(request).user.id, action, f"visit:{visit_id}:{name}")
        return path

    @app.get("/patients/{patient_id}/visits/new")
    def new_visit(request: Request, patient_id: int):
        ctx = ctx_of(request)
        with db.session() as s:
            p = ctx.patient(s, patient_id)
        return page(request, "visit_new.html", ctx=ctx, title="New visit", patient=p, error=None,
                    pain_sides=PAIN_SIDES, limit_mb=settings.max_upload_bytes / 1e6)

    @app.post("/patients/{patient_id}/visits")
    async def upload(request: Request, patient_id: int):
        ctx = ctx_of(request)
        with db.session() as s:
            p = ctx.patient(s, patient_id)
        folder = secrets.token_hex(16)
        target = settings.data_dir / "visits" / folder

        def check_csrf_first(fields: dict) -> None:
            ctx.check_csrf(fields.get("csrf"))

        def fail(message: str, status: int = 400):
            shutil.rmtree(target, ignore_errors=True)
            return page(request, "visit_new.html", status, ctx=ctx, title="New visit", patient=p, error=message,
                        pain_sides=PAIN_SIDES, limit_mb=settings.max_upload_bytes / 1e6)

        try:
            form = await parse_upload(request, target, settings.max_upload_bytes, before_file=check_csrf_first)
        except UploadError as exc:
            return fail(str(exc), exc.status)
        except HTTPException:
            shutil.rmtree(target, ignore_errors=True)
            raise
        ctx.check_csrf(form.fields.get("csrf"))
        if not form.files:
            return fail("Choose a side-view clip, a front-view clip or both.")
        height = form.fields.get("height_cm", "").strip()
        try:
            height_cm = float(height) if height else None
        except ValueError:
            height_cm = -1.0
        if height_cm is not None and not 50 <= height_cm <= 250:
            return fail("Height must be a number of centimetres between 50 and 250 (or empty).")
        pain = form.fields.get("pain_side", "none")
        if pain not in PAIN_SIDES:
            return fail("Choose the side the patient reports pain on.")
        for stored in form.files.values():
            try:
                await run_in_threadpool(probe_clip, stored.path, stored.client_name)
            except ProbeRejected as exc:
                return fail(str(exc), 422)
        with db.session() as s:
            v = Visit(patient_id=p.id, owner_id=p.owner_id, folder=folder, height_cm=height_cm, pain_side=pain,
                      notes=form.fields.get("notes", "")[:5000])
            for kind, stored in form.files.items():
                setattr(v, f"{kind}_clip", stored.path.name)
                setattr(v, f"{kind}_name", stored.client_name)
            v.job = Job()
            s.add(v)
            s.commit()
            vid = v.id
        db.audit(ctx.user.id, "upload", f"visit:{vid}")
        return RedirectResponse(f"/visits/{vid}", status_code=303)

    @app.get("/visits/{visit_id}")
    def visit_page(request: Request, visit_id: int):
        ctx, v, job, patient, out = visit_and_results(request, visit_id, "view_visit")
        summary = {}
        if job and job.state == "done" and (out / "analysis.json").is_file():
            summary = json.loads((out / "analysis.json").read_text(encoding="utf-8"))
        metrics = read_csv(out / "metrics.csv")
        key = sorted((m for m in metrics if m.get("metric") in KEY_METRICS),
                     key=lambda m: KEY_METRICS.index(m["metric"]))
        return page(request, "visit.html", ctx=ctx, title=f"Visit {v.created_at:%Y-%m-%d}", visit=v, job=job,
                    patient=patient, summary=summary, metrics=key, flags=group_flags(read_csv(out / "flags.csv")), fmt=_fmt,
                    has={n: (out / n).is_file() for n in ("report.html", "overlay.mp4", "analysis.json")},
                    pain_sides=PAIN_SIDES)

    @app.get("/visits/{visit_id}/status.json")
    def status(request: Request, visit_id: int):
        _, _, job, _, _ = visit_and_results(request, visit_id, None)
        if job is None:
            raise HTTPException(404, "No job.")
        return JSONResponse({"state": job.state, "progress_pct": job.progress_pct, "stage": job.stage,
                             "message": job.message, "note": job.note})

    @app.get("/visits/{visit_id}/report")
    def report(request: Request, visit_id: int):
        path = result_file(request, visit_id, "report.html", "view_report")
        return FileResponse(path, media_type="text/html; charset=utf-8",
                            headers={"content-security-policy": _report_csp()})

    @app.get("/visits/{visit_id}/overlay.mp4")
    def overlay(request: Request, visit_id: int):
        first = request.headers.get("range", "bytes=0-").startswith("bytes=0-")  # audit once per play, not per chunk
        path = result_file(request, visit_id, "overlay.mp4", "view_overlay" if first else None)
        return FileResponse(path, media_type="video/mp4")

    @app.get("/visits/{visit_id}/pick.jpg")
    def pick_frame(request: Request, visit_id: int):
        _, v, job, _, _ = visit_and_results(request, visit_id, "view_pick_frame")
        path = visit_dir(settings.data_dir, v) / PICK_FRAME
        if job is None or job.pick_time_s is None or not path.is_file():
            raise HTTPException(404, "No picture to pick from.")
        return FileResponse(path, media_type="image/jpeg")

    @app.post("/visits/{visit_id}/pick")
    async def pick(request: Request, visit_id: int):
        """A click on the walker (``<input type=image>``: pick.x, pick.y in shown pixels) → person hint, re-queue."""
        ctx = ctx_of(request)
        form = await request.form(max_files=0, max_fields=5)
        ctx.check_csrf(form.get("csrf"))
        with db.session() as s:
            v = owned_visit(ctx, s, visit_id)
            job = v.job
            try:
                x, y = float(form.get("pick.x", "")), float(form.get("pick.y", ""))
            except ValueError:
                raise HTTPException(400, "Click on the person in the picture.") from None
            if job is None or job.state != "failed" or job.pick_time_s is None:
                raise HTTPException(409, "This visit is not waiting for a choice of walker.")
            if not (0 <= x <= PICK_WIDTH_PX and 0 <= y <= PICK_WIDTH_PX * 4):
                raise HTTPException(400, "Click on the person in the picture.")
            v.person_hint = f"{x * job.pick_scale:.0f},{y * job.pick_scale:.0f}@{job.pick_time_s:.2f}"
            job.state, job.message, job.stage, job.progress_pct = "queued", "", "queued", 0.0
            job.pick_time_s = job.pick_scale = None
            s.commit()
            (visit_dir(settings.data_dir, v) / PICK_FRAME).unlink(missing_ok=True)
        db.audit(ctx.user.id, "pick_walker", f"visit:{visit_id}")
        return RedirectResponse(f"/visits/{visit_id}", status_code=303)

    @app.get("/visits/{visit_id}/download/{kind}")
    def download(request: Request, visit_id: int, kind: str):
        if kind == "analysis.json":
            path = result_file(request, visit_id, "analysis.json", "download_json")
            return FileResponse(path, media_type="application/json", filename=f"gaitlab_visit{visit_id}_analysis.json")
        if kind == "report.html":
            path = result_file(request, visit_id, "report.html", "download_report")
            return FileResponse(path, media_type="text/html; charset=utf-8",
                                filename=f"gaitlab_visit{visit_id}_report.html",
                                headers={"content-security-policy": _report_csp()})
        if kind == "csv.zip":
            out = result_file(request, visit_id, "analysis.json", "download_csv_zip").parent
            tmp = tempfile.NamedTemporaryFile(suffix=".zip", delete=False)
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
                for f in sorted(out.glob("*.csv")):
                    zf.write(f, f"gaitlab_visit{visit_id}/{f.name}")
            tmp.close()
            return FileResponse(tmp.name, media_type="application/zip", filename=f"gaitlab_visit{visit_id}_csv.zip",
                                background=BackgroundTask(Path(tmp.name).unlink, missing_ok=True))
        raise HTTPException(404, "No such download.")

    @app.post("/visits/{visit_id}/delete")
    async def delete_visit(request: Request, visit_id: int):
        ctx = ctx_of(request)
        ctx.check_csrf((await request.form(max_files=0, max_fields=5)).get("csrf"))
        with db.session() as s:
            v = owned_visit(ctx, s, visit_id)
            folder, pid = visit_dir(settings.data_dir, v), v.patient_id
            s.delete(v)
            s.commit()
        shutil.rmtree(folder, ignore_errors=True)
        db.audit(ctx.user.id, "delete_visit", f"visit:{visit_id}")
        return RedirectResponse(f"/patients/{pid}", status_code=303)

    def comparison(request: Request, patient_id: int, before: int, after: int, out: Path):
        """Check access, run :func:`gaitlab.compare.compare_outputs` into ``out``; (ctx, patient, visits, table)."""
        from gaitlab.compare import compare_outputs

        ctx = ctx_of(request)
        with db.session() as s:
            p = ctx.patient(s, patient_id)
            pair = []
            for vid in (before, after):
                v = s.get(Visit, vid)
                if v is None or v.patient_id != p.id or v.job is None or v.job.state != "done":
                    raise HTTPException(404, "Choose two analysed visits of this patient.")
                pair.append(v)
        try:
            table = compare_outputs(*(results_dir(settings.data_dir, v) for v in pair), out)
        except GaitlabError as exc:
            raise HTTPException(422, str(exc)) from None
        db.audit(ctx.user.id, "view_comparison", f"visit:{before}:{after}")
        return ctx, p, pair, table

    @app.get("/patients/{patient_id}/compare")
    def compare(request: Request, patient_id: int, before: int, after: int):
        with tempfile.TemporaryDirectory() as tmp:
            ctx, p, pair, table = comparison(request, patient_id, before, after, Path(tmp))
        table = table.astype(object).where(table.notna(), "")
        is_flag = table.flag_change != ""
        return page(request, "compare.html", ctx=ctx, title="Before and after", patient=p, before=pair[0],
                    after=pair[1], rows=table[~is_flag].to_dict("records"), flags=table[is_flag].to_dict("records"),
                    fmt=_fmt)

    @app.get("/patients/{patient_id}/compare/{name}")
    def compare_file(request: Request, patient_id: int, name: str, before: int, after: int):
        if name not in ("comparison.html", "comparison.csv"):
            raise HTTPException(404, "No such file.")
        with tempfile.TemporaryDirectory() as tmp:
            comparison(request, patient_id, before, after, Path(tmp))
            body = (Path(tmp) / name).read_bytes()
        if name == "comparison.csv":
            return Response(body, media_type="text/csv; charset=utf-8", headers={
                "content-disposition": f'attachment; filename="gaitlab_compare_{before}_{after}.csv"'})
        return Response(body, media_type="text/html; charset=utf-8", headers={"content-security-policy": _report_csp()})


def _report_csp() -> str:
    from .app import REPORT_CSP

    return REPORT_CSP
