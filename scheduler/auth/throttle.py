"""Sign-in throttling that an attacker cannot turn against the people it protects.

Only failed sign-ins count, in the rate-limit storage (Redis when configured, so every
worker and server counts together):

- **per username, from new devices** (``LOGIN_LIMIT_PER_USERNAME``): a hard limit against
  guessing one person's password. A device where that person signed in before (the
  signed "known device" cookie, see ``known_devices``) is not held by it, so a stranger
  failing with a volunteer's username cannot lock the volunteer out of their own phone.
- **per person, from their known devices** (``LOGIN_LIMIT_KNOWN_DEVICE``): their own
  budget, which nobody else can spend; a lost phone still cannot guess freely.
- **per address, from new devices** (``LOGIN_LIMIT_PER_ADDRESS`` failures free, then a
  growing wait): a whole compound may share one carrier-NAT address, so there is no hard
  lockout. Past the free failures, each failure makes the next attempt from the address
  wait 2, 4, 8 … seconds, up to ``LOGIN_DELAY_MAX_SECONDS``, until the window ends.
  Known devices do not wait: one person failing on purpose cannot keep a building out.
"""

import math
import time

from flask import current_app
from limits import RateLimitItem, parse

from scheduler.extensions import limiter

MAX_EXPONENT = 30  # 2**30 s is far beyond any sensible cap; keeps the number small


def _limit(setting: str) -> RateLimitItem:
    return parse(current_app.config[setting])


def _username_key(username: str) -> tuple[str, str]:
    return "login-username", username.strip().lower()


def _known_key(user_id: int) -> tuple[str, str]:
    return "login-known-device", str(user_id)


def _address_keys(address: str) -> tuple[str, str]:
    return f"login-address-failures/{address}", f"login-address-wait/{address}"


def _seconds_until(timestamp: float) -> int:
    return max(1, math.ceil(timestamp - time.time()))


def _window_wait(item: RateLimitItem, key: tuple[str, str]) -> int:
    if limiter.limiter.test(item, *key):
        return 0
    reset_at, _remaining = limiter.limiter.get_window_stats(item, *key)
    return _seconds_until(reset_at)


def _address_wait(address: str) -> int:
    _failures, wait_key = _address_keys(address)
    if limiter.storage.get(wait_key) <= 0:
        return 0
    return _seconds_until(limiter.storage.get_expiry(wait_key))


def wait_seconds(address: str, username: str, known_user_id: int | None) -> int:
    """How long this sign-in attempt must wait; 0 when it may go ahead.

    ``known_user_id`` is the person's id when this device is known for them, else None.
    """
    if known_user_id is not None:
        return _window_wait(_limit("LOGIN_LIMIT_KNOWN_DEVICE"), _known_key(known_user_id))
    return max(
        _window_wait(_limit("LOGIN_LIMIT_PER_USERNAME"), _username_key(username)),
        _address_wait(address),
    )


def address_delay(failures: int) -> int:
    """The wait after the ``failures``-th failure from one address in the window (0: none)."""
    beyond = failures - _limit("LOGIN_LIMIT_PER_ADDRESS").amount
    if beyond <= 0:
        return 0
    return min(2 ** min(beyond, MAX_EXPONENT), current_app.config["LOGIN_DELAY_MAX_SECONDS"])


def record_failure(address: str, username: str, known_user_id: int | None) -> None:
    if known_user_id is not None:
        limiter.limiter.hit(_limit("LOGIN_LIMIT_KNOWN_DEVICE"), *_known_key(known_user_id))
        return
    limiter.limiter.hit(_limit("LOGIN_LIMIT_PER_USERNAME"), *_username_key(username))
    failures_key, wait_key = _address_keys(address)
    window = _limit("LOGIN_LIMIT_PER_ADDRESS").get_expiry()
    delay = address_delay(limiter.storage.incr(failures_key, window))
    if delay:
        # A fresh key: attempts are refused while the previous wait runs, so it has expired.
        limiter.storage.incr(wait_key, delay)
