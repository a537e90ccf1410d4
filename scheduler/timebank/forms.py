from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from scheduler.forms import NoControlCharacters, int_or_none, strip_text
from scheduler.models import HUNDREDTHS


def in_hundredths(value: Decimal) -> int:
    return int((value * HUNDREDTHS).to_integral_value())


class RedeemForm(FlaskForm):
    user_id = SelectField(_l("Whose credits"), coerce=int_or_none, validators=[InputRequired()])
    credits = DecimalField(
        _l("Credits"), places=2, validators=[InputRequired(), NumberRange(min=Decimal("0.01"), max=1000)]
    )
    what_for = StringField(
        _l("What for"),
        filters=[strip_text],
        validators=[DataRequired(), Length(max=200), NoControlCharacters()],
    )


def rates_form(works: list[tuple[str, str]], **kwargs) -> FlaskForm:
    """One field per kind of work: credits for an hour of it."""

    class RatesForm(FlaskForm):
        pass

    for work, label in works:
        field = DecimalField(label, places=2, validators=[InputRequired(), NumberRange(min=0, max=100)])
        setattr(RatesForm, field_name(work), field)
    return RatesForm(**kwargs)


def field_name(work: str) -> str:
    return work.replace(":", "_")
