"""Tables and database engine (SQLAlchemy 2). SQLite by default (WAL, busy timeout, foreign keys);
PostgreSQL or any other SQLAlchemy URL through the same code."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import (Boolean, DateTime, Float, ForeignKey, Integer, String, Text, create_engine, event)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, sessionmaker

#: Milliseconds a SQLite connection waits for a lock before failing.
SQLITE_BUSY_TIMEOUT_MS = 10_000


def utcnow() -> dt.datetime:
    """Naive UTC (SQLite stores no time zone; every timestamp here is UTC)."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class LoginSession(Base):
    """A signed-in browser. ``token_sha256`` is the hash of the cookie value (the cookie itself is
    never stored); ``csrf`` is the token every form of this session carries."""

    __tablename__ = "login_sessions"
    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    user: Mapped[User] = relationship()


class Patient(Base):
    __tablename__ = "patients"
    id: Mapped[int] = mapped_column(primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(64))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    visits: Mapped[list[Visit]] = relationship(back_populates="patient", cascade="all, delete-orphan",
                                               order_by="Visit.created_at")


class Visit(Base):
    """One assessment: up to two clips (stored under generated names in the visit's folder)."""

    __tablename__ = "visits"
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    folder: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    height_cm: Mapped[float | None] = mapped_column(Float, nullable=True)
    pain_side: Mapped[str] = mapped_column(String(16), default="none")
    notes: Mapped[str] = mapped_column(Text, default="")
    side_clip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    front_clip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    side_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    front_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    uploads_deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    person_hint: Mapped[str | None] = mapped_column(String(64), nullable=True)
    patient: Mapped[Patient] = relationship(back_populates="visits")
    job: Mapped[Job | None] = relationship(back_populates="visit", cascade="all, delete-orphan", uselist=False)


class Job(Base):
    """The analysis of a visit. ``state``: queued, running, done, failed. ``heartbeat_at`` is
    refreshed while running, so that a job of a dead process is re-queued."""

    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), unique=True)
    state: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    progress_pct: Mapped[float] = mapped_column(Float, default=0.0)
    stage: Mapped[str] = mapped_column(String(64), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    #: Set when the walker was ambiguous: ``pick.jpg`` shows the frame at this time, at 1/pick_scale size.
    pick_time_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    pick_scale: Mapped[float | None] = mapped_column(Float, nullable=True)
    worker: Mapped[str | None] = mapped_column(String(64), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    visit: Mapped[Visit] = relationship(back_populates="job")


class AuditEntry(Base):
    """Who viewed, downloaded or deleted what. ``object`` is a kind and an id, never a name."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    action: Mapped[str] = mapped_column(String(32))
    object: Mapped[str] = mapped_column(String(64))


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(url: str) -> Engine:
    """Engine for ``url``; SQLite gets WAL mode, a busy timeout and foreign keys on every connection."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False,
                                                  "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    return engine


class Database:
    """Engine plus session factory; ``create_all`` makes missing tables."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.session = sessionmaker(self.engine, expire_on_commit=False)
        Base.metadata.create_all(self.engine)

    @classmethod
    def in_dir(cls, data_dir: Path) -> Database:
        return cls(f"sqlite:///{(Path(data_dir) / 'gaitlab.sqlite3').resolve()}")

    def audit(self, user_id: int | None, action: str, obj: str) -> None:
        with self.session() as s:
            s.add(AuditEntry(user_id=user_id, action=action, object=obj))
            s.commit()
