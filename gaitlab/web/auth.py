"""Passwords (argon2id), sign-in with lock-out, session cookies and CSRF tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select

from .db import Database, LoginSession, User, utcnow

#: Failed sign-ins in a row after which an account is locked, and for how long.
MAX_FAILED_LOGINS = 5
LOCKOUT = dt.timedelta(minutes=15)
#: Lifetime of a signed-in session.
SESSION_LIFETIME = dt.timedelta(hours=12)
SESSION_COOKIE = "gaitlab_session"
#: Cookie carrying the CSRF token of the sign-in form (before a session exists).
PRELOGIN_COOKIE = "gaitlab_prelogin"

_hasher = PasswordHasher()
#: Verified against when the user name is unknown, so that both cases take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class SignInError(Exception):
    """Wrong name or password, or a locked account; ``str()`` is the message to show."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same(a: str | None, b: str | None) -> bool:
    """Constant-time comparison of two tokens (False when either is missing)."""
    return bool(a) and bool(b) and hmac.compare_digest(a.encode(), b.encode())


def add_user(db: Database, name: str, password: str, *, admin: bool = False) -> User:
    name = name.strip()
    if not name or len(name) > 64:
        raise ValueError("A user name needs 1–64 characters.")
    if len(password) < 8:
        raise ValueError("A password needs at least 8 characters.")
    with db.session() as s:
        if s.scalar(select(User).where(User.name == name)) is not None:
            raise ValueError(f"User '{name}' exists already.")
        user = User(name=name, password_hash=hash_password(password), is_admin=admin)
        s.add(user)
        s.commit()
        return user


def sign_in(db: Database, name: str, password: str) -> tuple[str, LoginSession]:
    """Check the password and open a session: returns (cookie token, session row).

    After :data:`MAX_FAILED_LOGINS` failures in a row the account is locked for :data:`LOCKOUT`;
    the message never says whether the name exists.
    """
    now = utcnow()
    with db.session() as s:
        user = s.scalar(select(User).where(User.name == name.strip()))
        if user is None:
            _verify(_DUMMY_HASH, password)
            raise SignInError("Wrong user name or password.")
        if user.locked_until is not None and user.locked_until > now:
            raise SignInError("Too many failed sign-ins: this account is locked for 15 minutes. "
                              "Ask an administrator if you forgot the password.")
        if not _verify(user.password_hash, password):
            user.failed_logins += 1
            if user.failed_logins >= MAX_FAILED_LOGINS:
                user.locked_until = now + LOCKOUT
                user.failed_logins = 0
            s.commit()
            raise SignInError("Wrong user name or password.")
        user.failed_logins = 0
        user.locked_until = None
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        token = secrets.token_urlsafe(32)
        row = LoginSession(token_sha256=token_hash(token), user_id=user.id, csrf=secrets.token_urlsafe(32),
                           created_at=now, expires_at=now + SESSION_LIFETIME)
        s.add(row)
        s.execute(delete(LoginSession).where(LoginSession.expires_at < now))
        s.commit()
        return token, row


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def session_user(db: Database, token: str | None) -> tuple[User, LoginSession] | None:
    """The user and session of a cookie value, or None (unknown or expired)."""
    if not token:
        return None
    with db.session() as s:
        row = s.get(LoginSession, token_hash(token))
        if row is None or row.expires_at < utcnow():
            return None
        return row.user, row


def sign_out(db: Database, token: str | None) -> None:
    if token:
        with db.session() as s:
            s.execute(delete(LoginSession).where(LoginSession.token_sha256 == token_hash(token)))
            s.commit()
