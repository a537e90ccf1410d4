from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, Form, IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from scheduler.forms import (
    NoControlCharacters,
    PhoneNumber,
    int_or_none,
    normalise_phone,
    status_criteria,
    status_field,
    strip_text,
)
from scheduler.models import Beneficiary
from scheduler.visits.services import BeneficiaryFilter


def short_text(
    label, max_length: int, required: bool = False, required_message=None, **kwargs
) -> StringField:
    validators = [DataRequired(message=required_message)] if required else []
    validators += [Length(max=max_length), NoControlCharacters()]
    return StringField(label, filters=[strip_text], validators=validators, **kwargs)


def phone_field(label, **kwargs) -> StringField:
    return StringField(label, filters=[normalise_phone], validators=[Optional(), PhoneNumber()], **kwargs)


def building_choices(buildings, empty_label) -> list:
    return [SelectChoice("", empty_label)] + [
        SelectChoice(building.id, building.name) for building in buildings
    ]


class BeneficiaryForm(FlaskForm):
    name = short_text(_l("Name"), 40, required=True)
    building_id = SelectField(_l("Building"), coerce=int_or_none, validators=[DataRequired()])
    unit = short_text(_l("Unit"), 10, description=_l("For example 2单元; leave empty if none."))
    room = short_text(_l("Room"), 10, required=True, description=_l("For example 301."))
    phone = phone_field(_l("Phone"))
    emergency_name = short_text(_l("Emergency contact"), 40)
    emergency_relation = short_text(_l("Relation"), 20, description=_l("For example daughter, neighbour."))
    emergency_phone = phone_field(_l("Emergency contact's phone"))
    birth_year = IntegerField(_l("Year of birth"), validators=[Optional()])
    lives_alone = BooleanField(_l("Lives alone"))
    care_notes = TextAreaField(
        _l("Care notes"),
        filters=[strip_text],
        validators=[Length(max=500), NoControlCharacters()],
        description=_l(
            "Only what helps the visits, e.g. hard of hearing, knock loudly. Staff see it, and the "
            "volunteer visiting on the task card for as long as the address is shown."
        ),
    )
    visit_every_days = IntegerField(
        _l("Visit every … days"),
        validators=[Optional(), NumberRange(min=1, max=365)],
        description=_l("Leave empty when there are no regular visits."),
    )

    def __init__(self, buildings, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.building_id.choices = building_choices(buildings, _l("— choose —"))

    def fields_for_service(self) -> dict:
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}


class EditBeneficiaryForm(BeneficiaryForm):
    """A registered resident: the only place visits are switched off.

    Registering has no such box: a new resident is in care, so the create form cannot
    derive "no visits" from a box it never rendered.
    """

    active = BooleanField(_l("Receives visits"))


class BeneficiaryFilterForm(Form):
    """The filter the register and a check-all share: building, living alone, overdue.

    A plain ``Form``: the register reads it from the query string (ids and flags only,
    never a name), and the check-all form inherits its fields.
    """

    building_id = SelectField(_l("Building"), coerce=int_or_none, validate_choice=False)
    lives_alone = BooleanField(_l("Lives alone only"))
    overdue = BooleanField(_l("Overdue for a visit only"))

    def set_buildings(self, buildings) -> None:
        self.building_id.choices = building_choices(buildings, _l("All buildings"))

    def selected_filter(self) -> BeneficiaryFilter:
        return BeneficiaryFilter(
            building_id=self.building_id.data,
            lives_alone=bool(self.lives_alone.data),
            overdue=bool(self.overdue.data),
        )


class RegisterFilterForm(BeneficiaryFilterForm):
    """The register's filter: the shared one, and whether residents still receive visits."""

    status = status_field(_l("Visits"), _l("Receives visits"), _l("No visits"))

    def criteria(self, now) -> list:
        return [*self.selected_filter().criteria(now), *status_criteria(Beneficiary.active, self.status.data)]


class AccessLogFilterForm(Form):
    beneficiary_id = SelectField(_l("Resident"), coerce=int_or_none, validate_choice=False)
    user_id = SelectField(_l("Staff member"), coerce=int_or_none, validate_choice=False)

    def __init__(self, formdata, beneficiaries, users):
        super().__init__(formdata)
        self.beneficiary_id.choices = [SelectChoice("", _l("Everyone"))] + [
            SelectChoice(b.id, b.name) for b in beneficiaries
        ]
        self.user_id.choices = [SelectChoice("", _l("Every staff member"))] + [
            SelectChoice(u.id, u.display_name) for u in users
        ]
