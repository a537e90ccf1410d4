from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from scheduler.forms import (
    NoControlCharacters,
    PhoneNumber,
    int_or_none,
    normalise_phone,
    status_field,
    strip_text,
)
from scheduler.models import KIND_LABELS, ROLE_LABELS, Role

USERNAME_PATTERN = Regexp(
    r"^[a-z0-9_.-]{3,40}$",
    message=_l("Use 3 to 40 lower-case letters, digits, dots, dashes or underscores."),
)


def lower_text(value):
    return value.strip().lower() if isinstance(value, str) else value


class AccountForm(FlaskForm):
    """Create or edit a staff account of one station."""

    username = StringField(
        _l("Username (for signing in)"), filters=[lower_text], validators=[DataRequired(), USERNAME_PATTERN]
    )
    display_name = StringField(
        _l("Name"),
        filters=[strip_text],
        validators=[DataRequired(), Length(max=40), NoControlCharacters()],
    )
    phone = StringField(_l("Mobile phone"), filters=[normalise_phone], validators=[Optional(), PhoneNumber()])
    role = SelectField(_l("Role"), validators=[DataRequired()])
    kind = SelectField(_l("What they are"), validators=[Optional()])
    building_id = SelectField(_l("Home building"), coerce=int_or_none, validators=[Optional()])

    def __init__(self, buildings, roles=(Role.ADMIN, Role.COORDINATOR, Role.VOLUNTEER), *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [(role.value, ROLE_LABELS[role]) for role in roles]
        self.kind.choices = [("", _l("— not set —"))] + [
            (kind.value, label) for kind, label in KIND_LABELS.items()
        ]
        self.building_id.choices = [("", _l("— none —"))] + [(b.id, b.name) for b in buildings]


class EditAccountForm(AccountForm):
    """An existing account: the only place an account is switched on or off.

    A new account has no such box: it is active, and its person sets a password through an
    invitation link, so a create form never derives "off" from a box it did not render.
    """

    active = BooleanField(_l("Account active"))


class StationForm(FlaskForm):
    name = StringField(
        _l("Station name"),
        filters=[strip_text],
        validators=[DataRequired(), Length(max=80), NoControlCharacters()],
    )
    slug = StringField(
        _l("Short address name"),
        filters=[lower_text],
        validators=[
            DataRequired(),
            Regexp(r"^[a-z0-9-]{2,40}$", message=_l("Use 2 to 40 lower-case letters, digits or dashes.")),
        ],
        description=_l("Appears in the public address, e.g. /s/haiyuan-lidu/"),
    )
    community = StringField(
        _l("Community"), filters=[strip_text], validators=[Length(max=80), NoControlCharacters()]
    )
    street_office = StringField(
        _l("Street office"), filters=[strip_text], validators=[Length(max=80), NoControlCharacters()]
    )
    address = StringField(
        _l("Address"), filters=[strip_text], validators=[Length(max=200), NoControlCharacters()]
    )
    phone = StringField(
        _l("Station phone"), filters=[normalise_phone], validators=[Optional(), PhoneNumber()]
    )
    opening_hours = StringField(
        _l("Opening hours"), filters=[strip_text], validators=[Length(max=120), NoControlCharacters()]
    )
    active = BooleanField(_l("Open to the public"), default=True)


class NewStationForm(StationForm):
    building_count = IntegerField(
        _l("Number of buildings"),
        validators=[DataRequired(), NumberRange(min=1, max=200)],
        description=_l("Buildings are named 1号楼, 2号楼 …"),
    )


class AccountFilterForm(FlaskForm):
    """The filter above the account list: a GET form, so filtered lists can be bookmarked."""

    class Meta:
        csrf = False

    q = StringField(_l("Name, username or phone"), filters=[strip_text], validators=[Length(max=40)])
    kind = SelectField(_l("What they are"), validators=[Optional()])
    status = status_field(_l("State"), _l("Active"), _l("Switched off"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [("", _l("Everyone"))] + [
            (kind.value, label) for kind, label in KIND_LABELS.items()
        ]


class AdminStatusForm(FlaskForm):
    """The station list's filter: which station administrators to show."""

    class Meta:
        csrf = False

    status = status_field(_l("Administrators"), _l("Active"), _l("Switched off"))
