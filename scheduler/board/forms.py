from flask_wtf import FlaskForm
from wtforms import BooleanField

from scheduler.board.services import board_listing, listing_wording, phone_wording
from scheduler.models import User


class ConsentForm(FlaskForm):
    listed = BooleanField()
    show_phone = BooleanField()


def consent_form(person: User, by: User, formdata=None) -> ConsentForm:
    """The two boxes, ticked as the consent stands, labelled with the very words recorded."""
    listing = board_listing(person)
    form = ConsentForm(
        formdata,
        listed=listing is not None,
        show_phone=listing is not None and bool(listing.shown_phone) and listing.shown_phone == person.phone,
    )
    form.listed.label.text = listing_wording(person, by)
    form.show_phone.label.text = phone_wording(person, by, person.phone)
    # No number on the account, nothing to agree to show: the box would only earn an error.
    form.offers_phone = bool(person.phone)
    return form
