"""gunicorn settings: `gunicorn -c gunicorn.conf.py --workers 3 --bind 127.0.0.1:8000 wsgi:app`.

gunicorn also reads this file by itself when started from this folder. Options given on
the command line win over the values here.

- The access and error logs go through ``MaskingLogger``: the tokens of secret links
  (``/r/<token>``, ``/shifts/feed/<token>.ics``, invitations; see
  ``scheduler/log_masking.py``) are written as ``[token]``, in the request line, the path
  and the referrer alike.
- At start, a warning when several workers would each keep their own rate-limit counters
  (``memory://``): every sign-in limit would then be that many times looser.
"""

from scheduler.config import rate_limit_storage_uri, separate_counters_warning

logger_class = "scheduler.log_masking.MaskingLogger"
# The combined log format; %(r)s, %(U)s and %(f)s come out masked.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'


def when_ready(server):
    warning = separate_counters_warning(rate_limit_storage_uri(), server.cfg.workers)
    if warning:
        server.log.warning(warning)
