"""Public pages rendered once per station, language and data version, then served from a cache.

After a notice in the residents' chat, hundreds of people scan the station's poster
within minutes. The menu, the service pages, the station list and the public board
(公示) change only when their data does, so each is rendered once per (address, station's ``public_version``,
language, fragment or page), compressed once (br, gzip), and served from the cache
with an ``ETag``; ``If-None-Match`` gets 304.

- **The version cannot be forgotten.** A session listener bumps
  ``Station.public_version`` in the same transaction as every flush that adds, changes or
  deletes what those pages show: the station's details, menu categories, services and
  shifts (see ``SHOWN_RECORDS`` and ``SHOWN_FIELDS`` for the board's). Bulk UPDATE/DELETE
  statements on those tables bump every station's version.
- **Nothing personal or session-bound is ever cached.** Only anonymous visitors (no
  signed-in user, no remember cookie, no flash message waiting) are served from the
  cache, and their pages are rendered without session-bound content: no CSRF token
  (the language switch needs none, see ``main.set_language``), no flashes, no account
  menu. Signed-in staff get a fresh page (``Cache-Control: private``).
- **Time.** A menu shows coming dates; an entry is good until the first date it shows
  starts, then rendered again. The board's until its week or month ends.
- **Where.** Per process by default (a bounded LRU); in Redis when ``REDIS_URL`` is set,
  so that several servers share one copy and its ETag.
"""

import gzip
import hashlib
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

import brotli
import sqlalchemy as sa
from cachelib import RedisCache, SimpleCache
from flask import Flask, Response, current_app, g, request, session
from flask_babel import get_locale
from sqlalchemy.orm import Session
from werkzeug.wrappers import Request as WerkzeugRequest

from scheduler.database import PlainReads, utcnow
from scheduler.extensions import db
from scheduler.models import (
    Assignment,
    BoardListing,
    Building,
    CreditRate,
    Service,
    ServiceCategory,
    ServiceRequest,
    Shift,
    Station,
    Task,
    User,
    VisitRecord,
)
from scheduler.rendering import fragment_requested
from scheduler.security import security_headers

log = logging.getLogger("scheduler")

ENCODINGS = ("br", "gzip")
# An entry lives at most this long in Redis; a new version makes it unreachable anyway.
LONGEST_LIFE_SECONDS = 24 * 3600
IN_PROCESS_ENTRIES = 256


# The version ---------------------------------------------------------------------------


# Shown whole: any change to one changes a public page.
SHOWN_RECORDS = (Service, ServiceCategory, Shift, Assignment, Building, BoardListing, VisitRecord, CreditRate)
# Shown in part (scheduler/board): a person's name, kind, building and phone; a task's being
# done; a request's being done and rated. Other changes (a login time, a note) leave the pages be.
SHOWN_FIELDS = {
    User: ("display_name", "phone", "kind", "building_id", "active", "station_id"),
    Task: ("state",),
    ServiceRequest: ("state", "done_at", "rating"),
}


def _station_of(record, deleted: bool = False) -> int | None:
    """The station whose public pages show ``record``, or None when they do not show it.

    The menu shows the station, its categories, services and their activities' dates; the
    board (公示) its buildings, the people listed with consent, the week's duty roster and
    the month's figures (attended places, done home services, done and rated requests).
    """
    if isinstance(record, Station):
        return record.id
    if isinstance(record, SHOWN_RECORDS):
        return record.station_id
    fields = SHOWN_FIELDS.get(type(record))
    if fields is not None and (
        deleted or any(sa.inspect(record).attrs[name].history.has_changes() for name in fields)
    ):
        return record.station_id
    return None


PUBLIC_TABLES = frozenset(model.__table__ for model in (Station, *SHOWN_RECORDS, *SHOWN_FIELDS))


@sa.event.listens_for(Session, "after_flush")
def _bump_public_versions(session, flush_context):
    changed = [*session.new, *(r for r in session.dirty if session.is_modified(r))]
    stations = {_station_of(record) for record in changed} | {
        _station_of(record, deleted=True) for record in session.deleted
    }
    stations.discard(None)
    if stations:
        session.connection().execute(
            sa.update(Station.__table__)
            .where(Station.__table__.c.id.in_(stations))
            .values(public_version=Station.__table__.c.public_version + 1)
        )
        session.info.setdefault("public_versions_bumped", set()).update(stations)


@sa.event.listens_for(Session, "after_flush_postexec")
def _forget_old_versions(session, flush_context):
    for station_id in session.info.pop("public_versions_bumped", ()):
        station = session.identity_map.get(sa.inspect(Station).identity_key_from_primary_key((station_id,)))
        if station is not None:
            session.expire(station, ["public_version"])


@sa.event.listens_for(Session, "do_orm_execute")
def _bump_on_bulk_statements(state):
    mapper = state.bind_mapper
    if (state.is_update or state.is_delete) and mapper is not None and mapper.local_table in PUBLIC_TABLES:
        state.session.connection().execute(
            sa.update(Station.__table__).values(public_version=Station.__table__.c.public_version + 1)
        )


# The cache -----------------------------------------------------------------------------


@dataclass
class Entry:
    etag: str
    bodies: dict[str, bytes]  # "" (identity), "br", "gzip"
    good_until: float | None = None  # epoch seconds, when a shown date starts
    mimetype: str = "text/html"


@cache
def code_version(*folders: str) -> str:
    """One hash of the templates, translations and static files: a deployment's own key."""
    digest = hashlib.blake2b(digest_size=8)
    for folder in folders:
        for path in sorted(p for p in Path(folder).rglob("*") if p.is_file() and p.suffix != ".po"):
            digest.update(path.as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


class PublicCache:
    def __init__(self, app: Flask):
        url = app.config.get("REDIS_URL")
        if url:
            import redis

            self.store = RedisCache(
                host=redis.Redis.from_url(url),
                key_prefix=app.config["PUBLIC_CACHE_KEY_PREFIX"],
                default_timeout=0,
            )
        else:
            self.store = SimpleCache(threshold=IN_PROCESS_ENTRIES, default_timeout=0)
        # Entries written by another version of the code (templates, translations) never match.
        self.prefix = code_version(
            os.path.join(app.root_path, app.template_folder),
            app.config["BABEL_TRANSLATION_DIRECTORIES"],
            app.static_folder,
        )

    def get(self, key: str) -> Entry | None:
        try:
            entry = self.store.get(f"{self.prefix}:{key}")
        except Exception:  # Redis away: serve freshly rendered pages rather than errors
            log.warning("public cache: read failed", exc_info=True)
            return None
        if entry is None or (entry.good_until is not None and utcnow().timestamp() >= entry.good_until):
            return None
        return entry

    def put(self, key: str, entry: Entry) -> None:
        life = LONGEST_LIFE_SECONDS
        if entry.good_until is not None:
            life = max(1, min(life, int(entry.good_until - utcnow().timestamp()) + 1))
        try:
            self.store.set(f"{self.prefix}:{key}", entry, timeout=life)
        except Exception:
            log.warning("public cache: write failed", exc_info=True)

    def clear(self) -> None:
        self.store.clear()


def init_public_cache(app: Flask) -> None:
    app.extensions["public_cache"] = PublicCache(app)


def public_cache() -> PublicCache:
    return current_app.extensions["public_cache"]


# Serving -------------------------------------------------------------------------------


def anonymous_visitor() -> bool:
    """No signed-in user (and none to restore from a remember cookie), no flash waiting."""
    remember_cookie = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    return "_user_id" not in session and "_flashes" not in session and remember_cookie not in request.cookies


def renders_public_page() -> bool:
    """Templates leave out session-bound parts (CSRF token, flashes, account menu) when True."""
    return g.get("public_page", False)


@dataclass
class Built:
    """What a view hands back to ``serve_public``: the page and how long it stays true."""

    response: Response
    good_until: datetime | None = None
    cacheable: bool = True


def _tagged(etag: str, encoding: str) -> str:
    return f"{etag}-{encoding}" if encoding else etag


def _entry_from(built: Built) -> Entry:
    body = built.response.get_data()
    etag = hashlib.blake2b(body, digest_size=12).hexdigest()
    bodies = {
        "": body,
        "br": brotli.compress(body, quality=11),
        "gzip": gzip.compress(body, compresslevel=9, mtime=0),
    }
    good_until = built.good_until.timestamp() if built.good_until else None
    return Entry(etag, bodies, good_until, built.response.mimetype)


def _respond(entry: Entry, request) -> Response:
    encoding = request.accept_encodings.best_match(ENCODINGS) or ""
    etag = _tagged(entry.etag, encoding)
    known = [_tagged(entry.etag, each) for each in ("", *ENCODINGS)]
    if any(request.if_none_match.contains(tag) for tag in known):
        response = Response(status=304)
    else:
        response = Response(entry.bodies[encoding], mimetype=entry.mimetype)
        if encoding:
            response.headers["Content-Encoding"] = encoding
    response.set_etag(etag)
    _public_headers(response)
    return response


def _public_headers(response: Response) -> None:
    # Browsers may keep the page but ask each time (a 304 costs a few hundred bytes).
    response.headers["Cache-Control"] = "no-cache"
    response.vary.update(("HX-Request", "Cookie", "Accept-Encoding"))


CANONICAL_QUERY = re.compile(rb"(category=\d{1,9})?")


def serve_public(scope: str, build: Callable[[], Built]) -> Response:
    """Serve the page ``build`` renders, from the cache for anonymous visitors.

    ``scope`` names the data the page shows and its version (e.g. ``"station:3:v17"``);
    the address, language and fragment-or-page complete the key. Only canonical
    addresses are kept (no query but a category filter), so odd query strings cannot
    fill the cache.
    """
    if not anonymous_visitor():
        response = build().response
        response.headers["Cache-Control"] = "private, no-cache"
        response.vary.add("Cookie")
        return response
    g.public_page = True
    canonical = CANONICAL_QUERY.fullmatch(request.query_string) is not None
    key = cache_key(scope, request, str(get_locale()))
    cache = public_cache()
    if canonical and (entry := cache.get(key)) is not None:
        return _respond(entry, request)
    built = build()
    if not (canonical and built.cacheable and built.response.status_code == 200):
        _public_headers(built.response)
        return built.response
    entry = _entry_from(built)
    cache.put(key, entry)
    return _respond(entry, request)


def cache_key(scope: str, request, language: str) -> str:
    fragment = fragment_requested(request.headers)
    return f"{scope}|{request.path}?{request.query_string.decode()}|{language}|{int(fragment)}"


class CachedPublicPages:
    """WSGI middleware: a public page already in the cache, for a visitor without session
    cookies, answered before Flask runs (no request context, no extensions' hooks).

    Every other request, and every cache miss, goes to the app, whose ``serve_public``
    fills the cache under the same key. The answer is the one the app would give: same
    body, ETag, 304, headers (security headers included). Each hit reads the station's
    version afresh, so a write is seen by the very next request in any worker; one plain
    statement on a pooled connection (``PlainReads``) keeps that read cheap.
    """

    def __init__(self, app: Flask):
        self.app = app
        self.next = app.wsgi_app
        self.cache = app.extensions["public_cache"]
        self.languages = app.config["LANGUAGES"]
        self.default_language = app.config["BABEL_DEFAULT_LOCALE"]
        remember_cookie = app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
        self.session_cookies = {app.config["SESSION_COOKIE_NAME"], remember_cookie}
        self.headers = security_headers(app.config["HTTPS"])
        with app.app_context():
            self.reads = PlainReads(db.engine)

    def __call__(self, environ, start_response):
        if environ["REQUEST_METHOD"] in ("GET", "HEAD"):
            response = self.cached(WerkzeugRequest(environ))
            if response is not None:
                return response(environ, start_response)
        return self.next(environ, start_response)

    def cached(self, request) -> Response | None:
        if (
            self.session_cookies & request.cookies.keys()
            or not CANONICAL_QUERY.fullmatch(request.query_string)
            or "\x00" in request.path  # the app refuses it with 400 (scheduler/inputs.py)
        ):
            return None
        from scheduler.menu.services import public_scope

        scope = public_scope(self.reads, request.path)
        if scope is None:
            return None
        language = request.cookies.get("lang")
        language = language if language in self.languages else self.default_language
        entry = self.cache.get(cache_key(scope, request, language))
        if entry is None:
            return None
        response = _respond(entry, request)
        for name, value in self.headers.items():
            response.headers.setdefault(name, value)
        return response


def init_cached_public_pages(app: Flask) -> None:
    app.wsgi_app = CachedPublicPages(app)
