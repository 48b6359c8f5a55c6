"""Streaming multipart/form-data parser: file parts go straight to disk under generated names,
with a size limit on the whole body; text fields are kept in memory (small)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from python_multipart.multipart import MultipartParser, parse_options_header

#: Largest text field accepted (notes, pseudonym, ...), bytes, and most text fields in one form.
MAX_FIELD_BYTES = 20_000
MAX_FIELDS = 20
#: File fields an upload form may carry.
FILE_FIELDS = ("side", "front")


class UploadError(Exception):
    """The upload is not acceptable; ``str()`` is the message to show, ``status`` the HTTP code."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class StoredFile:
    path: Path  # generated name inside the target folder
    client_name: str  # for display only, never used as a path
    size: int = 0


@dataclass
class ParsedForm:
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, StoredFile] = field(default_factory=dict)


def display_name(raw: str) -> str:
    """The client's file name reduced to something safe to show (no folders, no control chars)."""
    name = raw.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable())[:120]
    return name or "unnamed"


async def parse_upload(request, target: Path, max_bytes: int,
                       before_file: Callable[[dict[str, str]], None] | None = None) -> ParsedForm:
    """Parse a multipart request body chunk by chunk into ``target`` (created).

    ``before_file(fields)`` is called with the text fields seen so far before the first file is
    written (the CSRF check: the token field comes first in the form); its exceptions propagate.

    Raises :class:`UploadError` for a body over ``max_bytes``, a non-multipart request or a
    malformed body; partial files are removed.
    """
    ctype, params = parse_options_header(request.headers.get("content-type", ""))
    if ctype != b"multipart/form-data" or b"boundary" not in params:
        raise UploadError("The form was not sent as a file upload; reload the page and try again.")
    length = request.headers.get("content-length")
    limit_msg = f"The upload is larger than the limit of {max_bytes / 1e6:.0f} MB; trim or compress the clip."
    if length is not None and length.isdigit() and int(length) > max_bytes:
        raise UploadError(limit_msg, 413)
    target.mkdir(parents=True, exist_ok=True)
    form = ParsedForm()
    state: dict = {"headers": {}, "field": b"", "value": b""}
    cur: dict = {}

    def on_header_field(data, start, end):
        state["field"] += data[start:end]

    def on_header_value(data, start, end):
        state["value"] += data[start:end]

    def on_header_end():
        state["headers"][state["field"].decode("latin-1").lower()] = state["value"]
        state["field"], state["value"] = b"", b""

    def on_headers_finished():
        _, disp = parse_options_header(state["headers"].get("content-disposition", b""))
        name = disp.get(b"name", b"").decode("utf-8", "replace")
        cur.clear()
        cur["name"] = name
        if b"filename" in disp:
            if name not in FILE_FIELDS or name in form.files:
                raise UploadError("Unexpected file in the form; reload the page and try again.")
            if before_file is not None and not form.files:
                before_file(form.fields)
            client = display_name(disp[b"filename"].decode("utf-8", "replace"))
            if client == "unnamed" and not disp[b"filename"]:
                cur["skip"] = True  # an empty file input: no file chosen
                return
            stored = StoredFile(target / f"upload_{name}_{secrets.token_hex(8)}.bin", client)
            cur["file"] = stored
            cur["fh"] = open(stored.path, "wb")
            form.files[name] = stored
        else:
            if len(form.fields) >= MAX_FIELDS:
                raise UploadError("The form has too many fields; reload the page and try again.")
            cur["buf"] = bytearray()
        state["headers"] = {}

    def on_part_data(data, start, end):
        if cur.get("skip"):
            return
        chunk = data[start:end]
        if "fh" in cur:
            cur["fh"].write(chunk)
            cur["file"].size += len(chunk)
        else:
            cur["buf"] += chunk
            if len(cur["buf"]) > MAX_FIELD_BYTES:
                raise UploadError("A text field is too long.")

    def on_part_end():
        if "fh" in cur:
            cur["fh"].close()
        elif "buf" in cur:
            form.fields[cur["name"]] = cur["buf"].decode("utf-8", "replace")
        cur.clear()

    parser = MultipartParser(params[b"boundary"], {
        "on_header_field": on_header_field, "on_header_value": on_header_value, "on_header_end": on_header_end,
        "on_headers_finished": on_headers_finished, "on_part_data": on_part_data, "on_part_end": on_part_end})
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > max_bytes:
                raise UploadError(limit_msg, 413)
            parser.write(chunk)
        parser.finalize()
    except UploadError:
        _cleanup(cur, form)
        raise
    except Exception as exc:  # noqa: BLE001 - any parser error is a malformed body
        _cleanup(cur, form)
        if hasattr(exc, "status_code"):  # from before_file
            raise
        raise UploadError("The upload was incomplete or malformed; try again.") from None
    return form


def _cleanup(cur: dict, form: ParsedForm) -> None:
    if "fh" in cur:
        cur["fh"].close()
    for f in form.files.values():
        f.path.unlink(missing_ok=True)
