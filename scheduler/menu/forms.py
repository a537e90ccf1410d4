"""Forms of menu management: categories and services."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from scheduler.forms import (
    ListedChoice,
    PhoneNumber,
    choices_after_prompt,
    int_or_none,
    normalise_phone,
    text,
)
from scheduler.models.menu import Service, contact_key


class CategoryForm(FlaskForm):
    name = text(_l("Category name"), 40, _l("Enter a name for the category."))


class ContactConsentField(BooleanField):
    """The contact's consent to show their phone: it counts only for the person it was given by.

    Shown ticked for a consent on record, the box's value names that contact (``contact_key``),
    so a form sent back with another name or number beside the still-ticked box gives no
    consent for the new person. A box ticked on a page where it was unticked sends ``y``:
    consent for the contact entered with it.
    """

    FRESH = "y"
    recorded_for: str | None = None

    def show_recorded(self, service: Service) -> None:
        self.recorded_for = service.consented_contact_key
        self.data = self.recorded_for is not None

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return self.recorded_for or self.FRESH

    def given_for(self, name: str, phone: str) -> bool:
        """Whether the box, as sent, is consent of this contact."""
        if not self.data:
            return False
        sent = self.raw_data[0] if self.raw_data else self.FRESH
        return sent in (self.FRESH, contact_key(name, phone))


class ServiceForm(FlaskForm):
    category_id = SelectField(
        _l("Category"),
        coerce=int_or_none,
        validate_choice=False,
        validators=[ListedChoice(_l("Choose one of this station's categories."))],
    )
    title = text(_l("Service name"), 60, _l("Enter a title, e.g. 送药上门."))
    summary = text(_l("Short description"), 200, description=_l("One sentence shown in the menu."))
    description = text(_l("Full description"), 2000, field_class=TextAreaField)
    when_offered = text(_l("When"), 120, description=_l("e.g. 每周三上午 9:00–11:00"))
    where_offered = text(_l("Where"), 120, description=_l("e.g. 驿站一楼 or at home"))
    contact_name = text(_l("Contact person"), 40)
    contact_phone = StringField(
        _l("Contact phone"), filters=[normalise_phone], validators=[Optional(), PhoneNumber()]
    )
    contact_phone_public = ContactConsentField(
        _l("The contact person agreed that this phone number is shown to the public"),
        description=_l("Without this consent the public menu shows the name only."),
    )
    requestable = BooleanField(_l("Residents may request this service online"))
    published = BooleanField(_l("Published (visible to residents)"))

    def __init__(self, categories, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category_id.choices = choices_after_prompt((c.id, c.name) for c in categories)

    def service_fields(self) -> dict:
        fields = {name: field.data for name, field in self._fields.items() if name != "csrf_token"}
        fields["contact_phone_public"] = self.contact_phone_public.given_for(
            self.contact_name.data, self.contact_phone.data
        )
        return fields

    @property
    def consent_left_behind(self) -> bool:
        """The box came back ticked for a contact who is no longer the one entered."""
        return self.contact_phone_public.data and not self.service_fields()["contact_phone_public"]
