"""Secret links kept out of logs.

Some addresses are their own key: a resident's follow-up page ``/r/<token>``, a
person's calendar feed ``/shifts/feed/<token>.ics``, a set-password invitation. Access
logs, error logs and referrers would otherwise keep these keys in full for anybody who
reads the logs. ``TOKEN_ROUTES`` lists every such route (the path before the token) in
one place; ``tests/test_log_masking.py`` fails when a route with a ``<token>`` argument
is missing from it.

gunicorn uses ``MaskingLogger`` through ``gunicorn.conf.py``; the app's own logger (Flask's
"Exception on <path>") and the development server's log (``werkzeug``) get the same filter
in ``create_app``.
"""

import logging
import re
from collections.abc import MutableMapping

from gunicorn.glogging import Logger

TOKEN_ROUTES = (
    "/r/",  # a resident's request follow-up
    "/shifts/feed/",  # a person's calendar feed
    "/people/invite/",  # a set-password invitation
    "/shifts/check-in/",  # a shift's check-in code (signed: its dots are part of it)
)
MASK = "[token]"
# The token ends where the path segment does, or at ".ics"; a quote ends it in a log line.
_TOKEN = re.compile(
    "(" + "|".join(re.escape(route) for route in TOKEN_ROUTES) + r')[^/?#&\s"\\]+?(?=\.ics\b|[/?#&\s"\\]|$)'
)


def mask_tokens(text: str) -> str:
    return _TOKEN.sub(lambda match: match.group(1) + MASK, text)


def _masked(value):
    return mask_tokens(value) if isinstance(value, str) else value


class TokenMaskingFilter(logging.Filter):
    """Masks tokens in a record's message and its arguments (a tuple, or a dict of atoms)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _masked(record.msg)
        if isinstance(record.args, MutableMapping):
            # gunicorn's access atoms: masked in place, keeping their lookup rules.
            for key, value in record.args.items():
                record.args[key] = _masked(value)
        elif isinstance(record.args, tuple):
            record.args = tuple(_masked(value) for value in record.args)
        return True


TOKEN_FILTER = TokenMaskingFilter()


def mask_logger(logger: logging.Logger) -> None:
    if TOKEN_FILTER not in logger.filters:
        logger.addFilter(TOKEN_FILTER)


class MaskingLogger(Logger):
    """gunicorn's logger with tokens masked in the access log and the error log."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        mask_logger(self.access_log)
        mask_logger(self.error_log)
