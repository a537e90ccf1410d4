"""Pages that show residents' personal data stay out of every cache.

A view (or a /me section) that puts a name, address or phone of a resident on the
page calls ``shows_personal_data()``; the response then carries
``Cache-Control: no-store``, so neither the browser's back-forward cache nor a proxy
keeps a copy. Templates add ``hx-history="false"`` for htmx's own history cache.
"""

from flask import g


def shows_personal_data() -> None:
    g.shows_personal_data = True


def keep_personal_data_out_of_caches(response):
    if g.get("shows_personal_data"):
        response.headers["Cache-Control"] = "no-store"
    return response
