"""Static files at content-hashed addresses, compressed once, cached by browsers for a year.

``url_for('static', filename='css/app.css')`` gives ``/static/css/app.<hash>.css``: the
address changes whenever the file does, so browsers may keep it for a year
(``immutable``) and a repeat visit fetches nothing. There is no build step: the hashes
are taken when the app starts, and each file is read and compressed (br, gzip) the
first time it is asked for, then served from memory, so gunicorn serves static files
cheaply when no nginx stands in front. The plain address still works (old bookmarks,
other tools) with a short cache and an ETag.
"""

import gzip
import hashlib
import mimetypes
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import brotli
from flask import Flask, Response, abort, request

YEAR = 365 * 24 * 3600
# Browsers ask for /favicon.ico on their own, at that fixed address: cached long, not forever.
FAVICON_MAX_AGE = 7 * 24 * 3600
COMPRESSIBLE = ("text/", "application/javascript", "image/svg+xml", "application/json")
ENCODINGS = ("br", "gzip")


@dataclass(frozen=True)
class Manifest:
    hashed: dict[str, str]  # "css/app.css" -> "css/app.1a2b3c4d5e6f.css"
    original: dict[str, str]  # the reverse
    version: str  # one hash of all files


@cache
def build_manifest(folder: str) -> Manifest:
    hashed, original, digests = {}, {}, []
    root = Path(folder)
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        name = path.relative_to(root).as_posix()
        digest = hashlib.blake2b(path.read_bytes(), digest_size=6).hexdigest()
        stem, dot, suffix = name.rpartition(".")
        fingerprinted = f"{stem}.{digest}.{suffix}" if dot and "/" not in suffix else f"{name}.{digest}"
        hashed[name], original[fingerprinted] = fingerprinted, name
        digests.append(f"{name}:{digest}")
    version = hashlib.blake2b("\n".join(digests).encode(), digest_size=8).hexdigest()
    return Manifest(hashed, original, version)


@dataclass
class Variant:
    mimetype: str
    etag: str
    bodies: dict[str, bytes]  # "" (identity), "br", "gzip"


class StaticFiles:
    def __init__(self, app: Flask):
        self.folder = Path(app.static_folder)
        self.manifest = build_manifest(str(self.folder))
        self.variants: dict[str, Variant] = {}
        self.lock = threading.Lock()

    def url_name(self, filename: str) -> str:
        return self.manifest.hashed.get(filename, filename)

    def variant(self, name: str) -> Variant:
        """The file's bytes and their compressed forms, made on first use."""
        found = self.variants.get(name)
        if found is None:
            body = (self.folder / name).read_bytes()
            mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
            bodies = {"": body}
            if mimetype.startswith(COMPRESSIBLE):
                bodies["br"] = brotli.compress(body, quality=11)
                bodies["gzip"] = gzip.compress(body, compresslevel=9, mtime=0)
            found = Variant(mimetype, hashlib.blake2b(body, digest_size=8).hexdigest(), bodies)
            with self.lock:
                self.variants[name] = found
        return found

    def serve(self, filename: str) -> Response:
        name = self.manifest.original.get(filename)
        fingerprinted = name is not None
        name = name or (filename if filename in self.manifest.hashed else None)
        if name is None:
            abort(404)
        variant = self.variant(name)
        encoding = request.accept_encodings.best_match([e for e in ENCODINGS if e in variant.bodies]) or ""
        response = Response(variant.bodies[encoding], mimetype=variant.mimetype)
        if encoding:
            response.headers["Content-Encoding"] = encoding
        response.vary.add("Accept-Encoding")
        response.set_etag(f"{variant.etag}-{encoding}" if encoding else variant.etag)
        if fingerprinted:
            response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
        else:
            response.headers["Cache-Control"] = "public, no-cache"
        return response.make_conditional(request)


def init_static_files(app: Flask) -> None:
    files = StaticFiles(app)
    app.extensions["static_files"] = files
    app.view_functions["static"] = files.serve

    def favicon() -> Response:
        response = files.serve(files.url_name("favicon.ico"))
        response.headers["Cache-Control"] = f"public, max-age={FAVICON_MAX_AGE}"
        return response

    app.add_url_rule("/favicon.ico", "favicon", favicon)

    @app.url_defaults
    def fingerprint(endpoint, values):
        if endpoint == "static" and "filename" in values:
            values["filename"] = files.url_name(values["filename"])
