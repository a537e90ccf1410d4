"""Forms of a request's life: filing it (by a resident or for one), finding it again, declining, rating."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Optional, Regexp

from scheduler.forms import (
    ListedChoice,
    PhoneNumber,
    choices_after_prompt,
    int_or_none,
    normalise_phone,
    strip_text,
    text,
)
from scheduler.models import RATING_RANGE


class RequestForm(FlaskForm):
    """The resident's own request (点单), on their phone, without an account."""

    resident_name = text(_l("Your name"), 20, _l("Enter your name, e.g. 王阿姨."))
    building_id = SelectField(
        _l("Building"),
        coerce=int_or_none,
        validate_choice=False,
        validators=[ListedChoice(_l("Choose your building from the list."))],
    )
    unit_room = text(
        _l("Unit and room"),
        30,
        _l("Enter your unit and room, e.g. 2单元301."),
        description=_l("e.g. 2单元301"),
    )
    phone = StringField(
        _l("Phone"),
        filters=[normalise_phone],
        validators=[
            DataRequired(message=_l("Enter a phone number so that the station can call back.")),
            PhoneNumber(),
        ],
        description=_l("Mobile (11 digits) or landline with area code."),
    )
    preferred_time = text(_l("When suits you (optional)"), 60, description=_l("e.g. weekday mornings"))
    details = text(
        _l("Anything we should know (optional)"),
        500,
        field_class=TextAreaField,
        description=_l("At most 500 characters."),
    )
    # Hidden from people; bots that fill in every field give themselves away.
    website = StringField(_l("Leave this field empty"))

    def __init__(self, buildings, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.building_id.choices = choices_after_prompt((b.id, b.name) for b in buildings)

    @property
    def filled_by_a_bot(self) -> bool:
        return bool(self.website.data)

    def request_fields(self) -> dict:
        return {
            name: self[name].data
            for name in ("resident_name", "building_id", "unit_room", "phone", "preferred_time", "details")
        }


class ProxyRequestForm(RequestForm):
    """A building head or coordinator files a request for a resident without a phone."""

    service_id = SelectField(
        _l("Service"),
        coerce=int_or_none,
        validate_choice=False,
        validators=[ListedChoice(_l("Choose one of the services that residents can request."))],
    )
    resident_name = text(_l("Resident's name"), 20, _l("Enter the resident's name."))
    phone = StringField(
        _l("Resident's phone (optional)"),
        filters=[normalise_phone],
        validators=[Optional(), PhoneNumber()],
        description=_l("Leave empty if the resident has no phone: the station will call you."),
    )

    def __init__(self, services, buildings, *args, **kwargs):
        super().__init__(buildings, *args, **kwargs)
        self.service_id.choices = choices_after_prompt(
            (s.id, f"{s.category.name} · {s.title}") for s in services
        )


class DeclineForm(FlaskForm):
    reason = text(
        _l("Reason the resident will see"),
        200,
        _l("Tell the resident why: they will see this reason."),
        field_class=TextAreaField,
    )


class RatingForm(FlaskForm):
    rating = RadioField(
        _l("How satisfied are you?"),
        coerce=int_or_none,
        choices=[SelectChoice(stars, "★" * stars) for stars in RATING_RANGE],
        validate_choice=False,
        validators=[ListedChoice(_l("Choose from 1 to 5 stars."))],
    )
    comment = text(_l("A few words (optional)"), 200, field_class=TextAreaField)


class FindRequestForm(FlaskForm):
    """A resident comes back to a request (/r): its reference and the last digits of the phone."""

    reference = text(
        _l("Reference (单号)"),
        12,
        _l("Enter the reference from your confirmation, e.g. K7Q4MX."),
        description=_l("The six letters and digits you were given when you sent the request."),
    )
    phone_end = StringField(
        _l("Last 4 digits of your phone"),
        filters=[strip_text],
        validators=[
            DataRequired(message=_l("Enter the last 4 digits of the phone you gave.")),
            Regexp(r"^\d{4}$", message=_l("Enter 4 digits, e.g. 5678.")),
        ],
        description=_l("Of the phone number you gave in the request."),
    )
