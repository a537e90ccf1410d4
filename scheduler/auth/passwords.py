"""The password policy: long enough, and not one everybody guesses first."""

from functools import cache
from pathlib import Path

from flask_babel import gettext as _

MIN_LENGTH = 8
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip())


def password_problem(password: str, username: str = "") -> str | None:
    """Why ``password`` is not acceptable, or None when it is."""
    if len(password) < MIN_LENGTH:
        return _("Use at least %(n)d characters.", n=MIN_LENGTH)
    lowered = password.lower()
    if lowered in common_passwords() or len(set(password)) <= 2:
        return _("This password is too common. Choose one that is harder to guess.")
    if username and username.lower() in lowered:
        return _("The password must not contain the username.")
    return None
