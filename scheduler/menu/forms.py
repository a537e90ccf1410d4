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


class CategoryForm(FlaskForm):
    name = text(_l("Category name"), 40, _l("Enter a name for the category."))


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
    contact_phone_public = BooleanField(
        _l("The contact person agreed that this phone number is shown to the public"),
        description=_l("Without this consent the public menu shows the name only."),
    )
    requestable = BooleanField(_l("Residents may request this service online"))
    published = BooleanField(_l("Published (visible to residents)"))

    def __init__(self, categories, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category_id.choices = choices_after_prompt((c.id, c.name) for c in categories)

    def service_fields(self) -> dict:
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}
