"""Uploads kept on the server between the preview and the confirm.

Why on the server: the confirm must write exactly the file that was previewed, and
nothing the browser sends back can be trusted to be that file (hidden fields with
rows could be edited, and 5,000 rows do not fit in a form). Asking for the file again
would be a chore on a phone. So the table read from the upload (its text cells, as
JSON: parsed once, never the workbook again) is stored under ``IMPORT_DIR`` (default
``instance/imports``) with a random id, bound to the person and station that sent it
and to its kind; preview and confirm check it against the database as it is then.
Uploads expire after an hour and go once imported.

Several workers on one machine share the folder; several machines need it shared
(or sticky sessions).
"""

import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from scheduler.importing.files import Table

EXPIRES_AFTER_SECONDS = 3600
UPLOAD_ID = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


@dataclass
class Upload:
    id: str
    kind: str
    filename: str
    table: Table


def _folder() -> Path:
    folder = Path(current_app.config["IMPORT_DIR"])
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def _path(upload_id: str) -> Path:
    return _folder() / f"{upload_id}.json"


def save_upload(kind: str, filename: str, table: Table, user) -> str:
    """Keep ``table`` for ``user`` and return the id of the upload."""
    remove_expired()
    upload_id = secrets.token_urlsafe(24)
    record = {
        "kind": kind,
        "filename": filename[:200],
        "user_id": user.id,
        "station_id": user.station_id,
        "saved_at": time.time(),
        "headers": table.headers,
        "rows": table.rows,
    }
    path = _path(upload_id)
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    # The file's age (remove_expired) and saved_at (load_upload) read one clock, the app's.
    os.utime(path, (record["saved_at"], record["saved_at"]))
    return upload_id


def _read(upload_id: str) -> dict | None:
    if not UPLOAD_ID.match(upload_id or ""):
        return None
    try:
        return json.loads(_path(upload_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _expired(record: dict) -> bool:
    return time.time() - record.get("saved_at", 0) > EXPIRES_AFTER_SECONDS


def load_upload(kind: str, upload_id: str, user) -> Upload | None:
    """The upload if it exists, is of this kind, came from ``user`` of their station and has not expired."""
    record = _read(upload_id)
    if (
        record is None
        or record.get("kind") != kind
        or record.get("user_id") != user.id
        or record.get("station_id") != user.station_id
        or _expired(record)
    ):
        return None
    table = Table(record["headers"], [(number, cells) for number, cells in record["rows"]])
    return Upload(upload_id, kind, record.get("filename", ""), table)


def discard_upload(upload_id: str) -> None:
    if UPLOAD_ID.match(upload_id or ""):
        _path(upload_id).unlink(missing_ok=True)


def remove_expired() -> None:
    """Uploads left unconfirmed for over an hour go (by the file's age: no need to read them)."""
    cutoff = time.time() - EXPIRES_AFTER_SECONDS
    for path in _folder().glob("*.json"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
        except OSError:
            continue
