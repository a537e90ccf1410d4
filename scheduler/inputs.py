"""Whatever a visitor sends, the answer is a page or a 4xx, never a 500: the shared guards.

Two kinds of input used to reach the database and fail there:

- Numbers beyond the database's integers. PostgreSQL's ``integer`` ids end at 2**31 - 1
  (psycopg refuses 2147483648 for an int4 column); SQLite's driver raises OverflowError
  past 2**63 - 1. Every number the app takes from a visitor and compares with an id or an
  offset is bounded here, once: path segments by the ``id`` URL converter
  (``/tasks/<id:task_id>``, 404 outside 1..MAX_ID); query strings and form fields by
  ``parse_id`` and the forms' ``int_or_none`` (out of range is "not an id"); page numbers
  by ``page_number``.
- NUL (U+0000). PostgreSQL text cannot hold it, so a NUL in a slug, a token, a search or a
  username made the query itself fail. No browser sends NUL from a typed field, so
  ``refuse_nul`` answers any request carrying one (in its path, query string or form,
  names included) with 400 before a view runs: one hook instead of a check in every field.
  The other control characters do not break a query; the forms' ``NoControlCharacters``
  validator answers them with a message next to the field, where a person can fix them.
"""

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter

# PostgreSQL's integer (int4), the type of every id column: the smallest bound of both databases.
MAX_ID = 2**31 - 1

NUL = "\x00"


class IdConverter(IntegerConverter):
    """``<id:name>``: a record id, 1..MAX_ID; anything else does not match the route (404)."""

    def __init__(self, map, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, **kwargs)


def parse_id(value) -> int:
    """A whole number 1..MAX_ID from text (``type=`` of ``request.args.get``); else ValueError."""
    number = int(value)
    if not 1 <= number <= MAX_ID:
        raise ValueError(f"{value!r} is not an id")
    return number


def page_number(per_page: int) -> int:
    """``?page=``: 1 for anything that is not a page number; never past what an offset can hold."""
    try:
        page = int(request.args.get("page", "1"))
    except ValueError:
        return 1
    return min(max(page, 1), MAX_ID // per_page)


def carries_nul() -> bool:
    if NUL in request.path:
        return True
    for values in (request.args, request.form):
        for key, value in values.items(multi=True):
            if NUL in key or NUL in value:
                return True
    return False


def refuse_nul():
    if carries_nul():
        abort(400)


def init_input_guards(app: Flask) -> None:
    app.url_map.converters["id"] = IdConverter
    app.before_request(refuse_nul)
