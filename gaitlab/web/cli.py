"""``gaitlab serve`` and ``gaitlab user add`` (argparse only at import: the CLI stays fast)."""

from __future__ import annotations

import argparse
import getpass
import os
import secrets
import sys
from pathlib import Path

#: Default data folder (database and files) of ``gaitlab serve``.
DEFAULT_DATA_DIR = "gaitlab-data"


def add_serve_parser(sub, positive) -> None:
    s = sub.add_parser("serve", help="start the web app for clinicians",
                       description="Start the web app (sign in, patients, visits, uploads, reports).")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    s.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    s.add_argument("--data-dir", default=DEFAULT_DATA_DIR, help=f"database and files (default ./{DEFAULT_DATA_DIR})")
    s.add_argument("--database-url", help="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db (default: SQLite in the data dir)")
    tls = s.add_mutually_exclusive_group()
    tls.add_argument("--https", nargs=2, metavar=("CERT", "KEY"), help="serve HTTPS with this certificate and key (secure cookies, HSTS)")
    tls.add_argument("--behind-proxy", action="store_true", help="an HTTPS reverse proxy in front (secure cookies, trusts X-Forwarded-*)")
    s.add_argument("--workers", type=positive(int), default=1, help="analyses run at the same time (default 1; each uses ~1 core and ~700 MB)")
    s.add_argument("--max-upload-mb", type=positive(float), default=1000, help="largest upload in MB (default 1000)")
    s.add_argument("--delete-uploads-after-days", type=float, metavar="DAYS",
                   help="retention: delete uploaded clips this many days after processing (0: right away; results stay)")
    s.add_argument("--demo", action="store_true", help="create a 'demo' account when there is no account and print its password once")


def add_user_parser(sub) -> None:
    u = sub.add_parser("user", help="manage web app accounts", description="Manage web app accounts.")
    usub = u.add_subparsers(dest="user_command", metavar="ACTION")
    a = usub.add_parser("add", help="add an account (password prompted, or read from stdin)")
    a.add_argument("name")
    a.add_argument("--admin", action="store_true", help="may see every patient and the audit log")
    a.add_argument("--data-dir", default=DEFAULT_DATA_DIR)
    a.add_argument("--database-url")


def _database(args):
    from .db import Database

    if args.database_url:
        return Database(args.database_url)
    Path(args.data_dir).mkdir(parents=True, exist_ok=True)
    return Database.in_dir(Path(args.data_dir))


def run_user(args) -> int:
    from gaitlab.errors import ConfigError

    from .auth import add_user

    if args.user_command != "add":
        raise ConfigError("Use: gaitlab user add NAME [--admin]")
    if sys.stdin.isatty():
        password = getpass.getpass(f"Password for {args.name}: ")
        if getpass.getpass("Again: ") != password:
            raise ConfigError("The two passwords differ; try again.")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        add_user(_database(args), args.name, password, admin=args.admin)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    print(f"Account '{args.name}' added{' (admin)' if args.admin else ''}.")
    return 0


def run_serve(args) -> int:
    import logging

    import uvicorn
    from sqlalchemy import func, select

    from .app import Settings, create_app
    from .auth import add_user
    from .db import User

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    data_dir = Path(args.data_dir).resolve()
    settings = Settings(data_dir=data_dir, database_url=args.database_url,
                        max_upload_bytes=int(args.max_upload_mb * 1e6),
                        secure_cookies=bool(args.https or args.behind_proxy), hsts=bool(args.https),
                        workers=args.workers, retention_days=args.delete_uploads_after_days)
    app = create_app(settings)
    db = app.state.db
    with db.session() as s:
        n_users = s.scalar(select(func.count()).select_from(User))
    if args.demo and n_users == 0:
        password = secrets.token_urlsafe(12)
        add_user(db, "demo", password)
        print(f"Demo account created — user: demo  password: {password}  (shown only now)", flush=True)
    elif n_users == 0:
        print("No account yet: add one with 'gaitlab user add NAME' (or start with --demo).", flush=True)
    if args.host not in ("127.0.0.1", "localhost", "::1") and not (args.https or args.behind_proxy):
        print("gaitlab: warning: plain HTTP on a network address sends passwords and patient data unencrypted; "
              "use --https CERT KEY or an HTTPS proxy (--behind-proxy).", file=sys.stderr, flush=True)
    scheme = "https" if args.https else "http"
    print(f"gaitlab: open {scheme}://{args.host}:{args.port}/ — data in {data_dir}", flush=True)
    kwargs = {"ssl_certfile": args.https[0], "ssl_keyfile": args.https[1]} if args.https else {}
    if args.behind_proxy:
        kwargs.update(proxy_headers=True, forwarded_allow_ips=os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"))
    uvicorn.run(app, host=args.host, port=args.port, log_level="info", server_header=False, **kwargs)
    return 0


def run(args: argparse.Namespace) -> int:
    return run_serve(args) if args.command == "serve" else run_user(args)
