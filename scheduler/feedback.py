"""Feedback where a person tapped: the outcome of an action shows in the card they acted on.

With htmx the card comes back with the message in it (and the page's ``aria-live`` flash
region announces it). Without JavaScript the redirect lands on the card's anchor, and the
message, kept here in the session for that one next page, shows in the card, not at the top.
"""

from flask import g, session

SESSION_KEY = "card_feedback"


def tell_in_card(anchor: str, message: str) -> None:
    """Keep ``message`` for the card with id ``anchor`` on the next page shown."""
    session[SESSION_KEY] = {"anchor": anchor, "message": message}


def take_card_feedback() -> dict | None:
    """The message kept for a card ({"anchor", "message"}): on this page only, for every section."""
    if "card_feedback" not in g:
        g.card_feedback = session.pop(SESSION_KEY, None)
    return g.card_feedback
