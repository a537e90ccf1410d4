"""Destructive actions ask first, with JavaScript and without, through one mechanism.

A form that destroys something carries ``data-confirm="question"``. With JavaScript,
``static/js/confirm.js`` asks that question before the form (plain or htmx) is sent and
marks the answer in a ``confirmed`` field. Without it, the view decorated with
``@asks_first`` answers an unmarked POST with a page asking the same question, whose form
sends the same fields again, marked. Nothing is changed until the answer is yes.
"""

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from flask import request, url_for

from scheduler.rendering import private, render

CONFIRMED_FIELD = "confirmed"


def back_url() -> str:
    """The page the form was on, when it is on this site; else home."""
    came_from = urlsplit(request.referrer or "")
    if came_from.netloc == request.host and came_from.path.startswith("/"):
        return came_from.path + (f"?{came_from.query}" if came_from.query else "")
    return url_for("me.home")


def asks_first(question: Callable[..., str | None]):
    """``question(**view_args)`` gives the question, or None when this post destroys nothing."""

    def decorator(view):
        @wraps(view)
        def wrapped(**kwargs):
            if request.form.get(CONFIRMED_FIELD) != "1":
                asked = question(**kwargs)
                if asked:
                    kept = [
                        (name, value)
                        for name, value in request.form.items(multi=True)
                        if name not in ("csrf_token", CONFIRMED_FIELD)
                    ]
                    return private(
                        render(
                            "confirm.html", question=asked, fields=kept, action=request.path, back=back_url()
                        )
                    )
            return view(**kwargs)

        return wrapped

    return decorator
