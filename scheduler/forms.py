"""Form pieces shared by every area: field cleaning and common validators.

``# pragma: no mutate block`` marks code that runs at import, as the forms are defined:
mutmut switches a mutant on only while a test runs, so none there could ever be killed.
"""

import functools
import re

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import HiddenInput

from scheduler.inputs import MAX_ID, parse_id

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MOBILE_PHONE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_PHONE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


def strip_text(value):
    """Field filter: trim surrounding whitespace, keep None as None."""
    return value.strip() if isinstance(value, str) else value


def search_words(value: str, max_length: int) -> str:
    """A search box's text, trimmed, cut to length and rid of control characters."""
    return CONTROL_CHARACTERS.sub("", value).strip()[:max_length]


def int_or_none(value):
    """Select coercion: an id (1..MAX_ID), or None for anything else (then refused or unset)."""
    try:
        return parse_id(value)
    except (TypeError, ValueError):
        return None


def normalise_phone(value):
    """Field filter: drop spaces and a leading +86 country code."""
    if not isinstance(value, str):
        return value
    compact = re.sub(r"[\s()]", "", value)
    if compact.startswith("+86"):
        compact = compact[3:]
    return compact


class NoControlCharacters:
    message = _l("Remove the invisible control characters from this text.")

    def __call__(self, form, field):
        if field.data and CONTROL_CHARACTERS.search(field.data):
            raise ValidationError(self.message)


class PhoneNumber:
    """A mainland mobile (11 digits starting with 1) or a landline with area code."""

    message = _l("Enter an 11-digit mobile number, or a landline with its area code.")

    def __call__(self, form, field):
        if field.data and not (MOBILE_PHONE.match(field.data) or LANDLINE_PHONE.match(field.data)):
            raise ValidationError(self.message)


def mask_phone(phone: str) -> str:
    """138****1234: enough to recognise a number in a list, not to dial it.

    Showing three and four digits hides nothing of a short number: under ten characters, all stars.
    """
    if len(phone) < 10:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"


TOO_LONG = _l("Please keep it to %(max)d characters or fewer.")


def text(
    label, max_length: int, required_message=None, field_class=StringField, **kwargs
):  # pragma: no mutate block
    """A trimmed text field with a length limit, free of control characters."""
    presence = DataRequired(message=required_message) if required_message else Optional()
    return field_class(
        label,
        filters=[strip_text],
        validators=[presence, Length(max=max_length, message=TOO_LONG), NoControlCharacters()],
        **kwargs,
    )


def choices_after_prompt(pairs) -> list[SelectChoice]:
    """A select's options: "— choose —" first, so that nothing is chosen by accident."""
    return [SelectChoice("", _l("— choose —"))] + [SelectChoice(value, label) for value, label in pairs]


def enum_or_none(enum_class):  # pragma: no mutate block
    """Select coercion to a member of ``enum_class``: empty (or blank) is None, anything else
    not a member is refused with a message next to the field (WTForms reports the ValueError).

    With a plain string select, ``Optional()`` lets "   " through as the value, which then
    failed as ``Kind("   ")`` in the route.
    """
    return functools.partial(member_or_none, enum_class)


def member_or_none(enum_class, value):
    if value is None or isinstance(value, enum_class):
        return value
    value = str(value).strip()
    return enum_class(value) if value else None


class ListedChoice:
    """The value must be one of the field's choices; ``message`` says what to do instead."""

    def __init__(self, message):  # pragma: no mutate block
        self.message = message

    def __call__(self, form, field):
        if field.data not in choice_values(field):
            raise ValidationError(self.message)


def choice_values(field) -> set:
    """The values a select offers, other than the empty prompt (choices as pairs or SelectChoice)."""
    values = {choice.value if isinstance(choice, SelectChoice) else choice[0] for choice in field.choices}
    return values - {""}


class ListedOrEmpty:
    """Nothing chosen, or one of the field's choices; ``message`` says what to do instead.

    For selects that do not check their own choices (``validate_choice=False``, so that an
    empty value means "none" or "all"): a value that was sent but is not offered, such as
    another station's id or a number no id can be, is refused rather than read as "none".
    """

    def __init__(self, message):  # pragma: no mutate block
        self.message = message

    def __call__(self, form, field):
        sent = field.raw_data[0].strip() if field.raw_data else ""
        if sent and field.data not in choice_values(field):
            raise ValidationError(self.message)


# Lists of people and residents: everyone, only those active, or only those switched off.
STATUS_ACTIVE = "active"
STATUS_INACTIVE = "inactive"


def status_field(label, active_label, inactive_label) -> SelectField:  # pragma: no mutate block
    """The active / switched off / all filter of a list; empty means all."""
    return SelectField(
        label,
        choices=[
            SelectChoice("", _l("All")),
            SelectChoice(STATUS_ACTIVE, active_label),
            SelectChoice(STATUS_INACTIVE, inactive_label),
        ],
        validate_choice=False,
    )


def status_criteria(column, status: str | None) -> list:
    """The ``where`` criteria for a status filter's value (anything unknown means all)."""
    if status == STATUS_ACTIVE:
        return [column.is_(True)]
    if status == STATUS_INACTIVE:
        return [column.is_(False)]
    return []


class PreviewedIds(StringField):
    """The ids a bulk action's preview showed, carried to its "apply" step (space-separated).

    ``data`` is None before a preview (nothing previewed yet), else the set of ids; anything
    that is not an id is dropped, so a tampered list can only narrow what is written.
    """

    widget = HiddenInput()

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and valuelist[0].strip():
            self.data = {
                int(part) for part in valuelist[0].split() if part.isdecimal() and 0 < int(part) <= MAX_ID
            }

    def _value(self):
        return " ".join(str(number) for number in sorted(self.data or ()))
