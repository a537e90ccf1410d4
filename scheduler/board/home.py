"""The /me section where a person lists themselves on the public board, or withdraws."""

from scheduler.board.forms import consent_form
from scheduler.board.services import board_listing


def my_board_consent(user) -> dict:
    return {
        "board_form": consent_form(user, user),
        "board_listing": board_listing(user),
        "station": user.station,
    }
