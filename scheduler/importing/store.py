"""Uploads kept on the server between the preview and the confirm.

Why on the server: the confirm must write exactly the file that was previewed, and
nothing the browser sends back can be trusted to be that file (hidden fields with
rows could be edited, and 5,000 rows do not fit in a form). Asking for the file again
would be a chore on a phone. So the upload is stored under ``IMPORT_DIR`` (default
``instance/imports``) with a random id, bound to the person and station that sent it
and to its kind; confirm re-reads and re-checks it against the database as it is
then. Uploads expire after an hour and go once imported.

Several workers on one machine share the folder; several machines need it shared
(or sticky sessions).
"""

import json
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

EXPIRES_AFTER_SECONDS = 3600
UPLOAD_ID = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


@dataclass
class Upload:
    id: str
    kind: str
    filename: str
    data: bytes


def _folder() -> Path:
    folder = Path(current_app.config["IMPORT_DIR"])
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def _paths(upload_id: str) -> tuple[Path, Path]:
    folder = _folder()
    return folder / f"{upload_id}.upload", folder / f"{upload_id}.json"


def save_upload(kind: str, filename: str, data: bytes, user) -> str:
    """Keep ``data`` for ``user`` and return the id of the upload."""
    remove_expired()
    upload_id = secrets.token_urlsafe(24)
    data_path, meta_path = _paths(upload_id)
    data_path.write_bytes(data)
    meta = {
        "kind": kind,
        "filename": filename[:200],
        "user_id": user.id,
        "station_id": user.station_id,
        "saved_at": time.time(),
    }
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    return upload_id


def load_upload(kind: str, upload_id: str, user) -> Upload | None:
    """The upload if it exists, is of this kind, came from ``user`` of their station and has not expired."""
    if not UPLOAD_ID.match(upload_id or ""):
        return None
    data_path, meta_path = _paths(upload_id)
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        data = data_path.read_bytes()
    except (OSError, ValueError):
        return None
    if (
        meta.get("kind") != kind
        or meta.get("user_id") != user.id
        or meta.get("station_id") != user.station_id
        or time.time() - meta.get("saved_at", 0) > EXPIRES_AFTER_SECONDS
    ):
        return None
    return Upload(upload_id, kind, meta.get("filename", ""), data)


def discard_upload(upload_id: str) -> None:
    if UPLOAD_ID.match(upload_id or ""):
        for path in _paths(upload_id):
            path.unlink(missing_ok=True)


def remove_expired() -> None:
    cutoff = time.time() - EXPIRES_AFTER_SECONDS
    for path in _folder().glob("*.json"):
        try:
            expired = json.loads(path.read_text(encoding="utf-8")).get("saved_at", 0) < cutoff
        except (OSError, ValueError):
            expired = True
        if expired:
            discard_upload(path.stem)
