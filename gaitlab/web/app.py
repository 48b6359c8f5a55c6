"""The FastAPI application: settings, security headers, sign-in, ownership checks, patient pages.
Visit, upload and result routes are in :mod:`gaitlab.web.routes`."""

from __future__ import annotations

import logging
import secrets
import shutil
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import select
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import auth
from .db import AuditEntry, Database, Patient, User
from .jobs import AnalyseFn, Supervisor, visit_dir

log = logging.getLogger("gaitlab.web")
HERE = Path(__file__).resolve().parent

#: Default upload limit (whole request body), bytes.
DEFAULT_MAX_UPLOAD_BYTES = 1_000_000_000
#: Content-Security-Policy of the app's own pages (no inline script or style).
APP_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; "
           "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
#: Content-Security-Policy of the analysis report (a self-contained file made from patient data).
REPORT_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox"


@dataclass
class Settings:
    data_dir: Path
    database_url: str | None = None
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    secure_cookies: bool = False  # --https or --behind-proxy
    hsts: bool = False  # --https
    workers: int = 1
    processes: bool = True  # run jobs in child processes (threads in tests)
    run_jobs: bool = True  # start the supervisor with the app
    retention_days: float | None = None  # delete raw uploads this long after processing (0: at once)
    analyse: AnalyseFn | None = None  # replaces the real pipeline (tests)


class NotSignedIn(Exception):
    pass


class SecurityHeaders:
    """ASGI middleware adding security headers; a route's own CSP (the report) is kept."""

    def __init__(self, app, hsts: bool) -> None:
        self.app, self.hsts = app, hsts

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                add = {b"x-content-type-options": b"nosniff", b"x-frame-options": b"DENY",
                       b"referrer-policy": b"no-referrer", b"cross-origin-opener-policy": b"same-origin",
                       b"permissions-policy": b"camera=(), microphone=(), geolocation=()",
                       b"content-security-policy": APP_CSP.encode()}
                if self.hsts:
                    add[b"strict-transport-security"] = b"max-age=31536000"
                if not scope["path"].startswith("/static/"):
                    add[b"cache-control"] = b"no-store"
                headers += [(k, v) for k, v in add.items() if k not in names]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class Ctx:
    """The signed-in user of a request, its CSRF token and helpers for templates and checks."""

    def __init__(self, request: Request, user: User, csrf: str) -> None:
        self.request, self.user, self.csrf = request, user, csrf

    def check_csrf(self, token: str | None) -> None:
        if not auth.same(token, self.csrf):
            raise StarletteHTTPException(403, "The form has expired or did not come from this site; reload the "
                                              "page and try again.")

    def patient(self, s, patient_id: int) -> Patient:
        """The patient if this user may see it (owner or admin), else 404 (existence is not revealed)."""
        p = s.get(Patient, patient_id)
        if p is None or not (self.user.is_admin or p.owner_id == self.user.id):
            raise StarletteHTTPException(404, "No such patient.")
        return p


def create_app(settings: Settings) -> FastAPI:
    settings.data_dir = Path(settings.data_dir)
    (settings.data_dir / "visits").mkdir(parents=True, exist_ok=True)
    db = Database(settings.database_url) if settings.database_url else Database.in_dir(settings.data_dir)
    supervisor = Supervisor(db, settings.data_dir, workers=settings.workers, processes=settings.processes,
                            retention_days=settings.retention_days,
                            **({"analyse": settings.analyse} if settings.analyse else {}))

    @asynccontextmanager
    async def lifespan(_app):
        if settings.run_jobs:
            supervisor.start()
        yield
        if settings.run_jobs:
            supervisor.stop()

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings, app.state.db, app.state.supervisor = settings, db, supervisor
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    app.state.templates = templates
    app.add_middleware(SecurityHeaders, hsts=settings.hsts)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    def ctx_of(request: Request) -> Ctx:
        found = auth.session_user(db, request.cookies.get(auth.SESSION_COOKIE))
        if found is None:
            raise NotSignedIn()
        user, row = found
        return Ctx(request, user, row.csrf)

    app.state.ctx_of = ctx_of

    def page(request: Request, name: str, status: int = 200, **values) -> HTMLResponse:
        return templates.TemplateResponse(request, name, values, status_code=status)

    app.state.page = page

    @app.exception_handler(NotSignedIn)
    async def _not_signed_in(request: Request, _exc):
        if request.url.path.endswith(".json") or request.method != "GET":
            return JSONResponse({"error": "Sign in first."}, status_code=401)
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        if request.url.path.endswith(".json"):
            return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
        detail = exc.detail if isinstance(exc.detail, str) and exc.status_code != 404 else "Not found."
        return page(request, "error.html", exc.status_code, ctx=None, title="Error", message=detail)

    @app.get("/login")
    def login_form(request: Request):
        token = request.cookies.get(auth.PRELOGIN_COOKIE) or secrets.token_urlsafe(32)
        resp = page(request, "login.html", ctx=None, title="Sign in", prelogin=token, error=None)
        _cookie(resp, auth.PRELOGIN_COOKIE, token, settings, max_age=3600)
        return resp

    @app.post("/login")
    async def login(request: Request):
        form = await request.form(max_files=0, max_fields=10)
        cookie = request.cookies.get(auth.PRELOGIN_COOKIE)
        if not auth.same(form.get("csrf"), cookie):
            raise StarletteHTTPException(403, "The sign-in form has expired; reload the page and try again.")
        try:
            token, row = auth.sign_in(db, str(form.get("username", "")), str(form.get("password", "")))
        except auth.SignInError as exc:
            db.audit(None, "sign_in_failed", "user")
            return page(request, "login.html", 401, ctx=None, title="Sign in", prelogin=cookie, error=str(exc))
        db.audit(row.user_id, "sign_in", f"user:{row.user_id}")
        resp = RedirectResponse("/patients", status_code=303)
        _cookie(resp, auth.SESSION_COOKIE, token, settings, max_age=int(auth.SESSION_LIFETIME.total_seconds()))
        resp.delete_cookie(auth.PRELOGIN_COOKIE, path="/")
        return resp

    @app.post("/logout")
    async def logout(request: Request):
        ctx = ctx_of(request)
        ctx.check_csrf((await request.form(max_files=0, max_fields=5)).get("csrf"))
        auth.sign_out(db, request.cookies.get(auth.SESSION_COOKIE))
        resp = RedirectResponse("/login", status_code=303)
        resp.delete_cookie(auth.SESSION_COOKIE, path="/")
        return resp

    @app.get("/")
    def home(request: Request):
        ctx_of(request)
        return RedirectResponse("/patients", status_code=303)

    @app.get("/patients")
    def patients(request: Request):
        ctx = ctx_of(request)
        with db.session() as s:
            q = select(Patient).order_by(Patient.pseudonym)
            if not ctx.user.is_admin:
                q = q.where(Patient.owner_id == ctx.user.id)
            rows = [(p, len(p.visits)) for p in s.scalars(q).all()]
        return page(request, "patients.html", ctx=ctx, title="Patients", rows=rows, error=None)

    @app.post("/patients")
    async def create_patient(request: Request):
        ctx = ctx_of(request)
        form = await request.form(max_files=0, max_fields=5)
        ctx.check_csrf(form.get("csrf"))
        pseudonym = " ".join(str(form.get("pseudonym", "")).split())
        if not 1 <= len(pseudonym) <= 64 or not pseudonym.isprintable():
            return page(request, "patients.html", 400, ctx=ctx, title="Patients", rows=[],
                        error="Give the patient a pseudonymous id of 1–64 characters (not their name).")
        with db.session() as s:
            p = Patient(pseudonym=pseudonym, owner_id=ctx.user.id)
            s.add(p)
            s.commit()
            pid = p.id
        db.audit(ctx.user.id, "create_patient", f"patient:{pid}")
        return RedirectResponse(f"/patients/{pid}", status_code=303)

    @app.get("/patients/{patient_id}")
    def patient_page(request: Request, patient_id: int):
        ctx = ctx_of(request)
        with db.session() as s:
            p = ctx.patient(s, patient_id)
            visits = [(v, v.job) for v in p.visits]
        db.audit(ctx.user.id, "view_patient", f"patient:{patient_id}")
        return page(request, "patient.html", ctx=ctx, title=f"Patient {p.pseudonym}", patient=p, visits=visits)

    @app.post("/patients/{patient_id}/delete")
    async def delete_patient(request: Request, patient_id: int):
        ctx = ctx_of(request)
        ctx.check_csrf((await request.form(max_files=0, max_fields=5)).get("csrf"))
        with db.session() as s:
            p = ctx.patient(s, patient_id)
            folders = [visit_dir(settings.data_dir, v) for v in p.visits]
            s.delete(p)
            s.commit()
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)
        db.audit(ctx.user.id, "delete_patient", f"patient:{patient_id}")
        return RedirectResponse("/patients", status_code=303)

    @app.get("/audit")
    def audit_page(request: Request):
        ctx = ctx_of(request)
        if not ctx.user.is_admin:
            raise StarletteHTTPException(404)
        with db.session() as s:
            rows = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(500)).all()
            names = {u.id: u.name for u in s.scalars(select(User)).all()}
        return page(request, "audit.html", ctx=ctx, title="Audit log", rows=rows, names=names)

    from .routes import add_visit_routes

    add_visit_routes(app)
    return app


def _cookie(resp: Response, name: str, value: str, settings: Settings, max_age: int) -> None:
    resp.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="strict",
                    secure=settings.secure_cookies)
