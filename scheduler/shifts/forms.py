from datetime import datetime, time, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from scheduler.forms import ListedOrEmpty, NoControlCharacters, PreviewedIds, int_or_none, strip_text
from scheduler.inputs import MAX_ID
from scheduler.models import (
    CORRECTION_REASON_LENGTH,
    MAX_CAPACITY,
    MAX_SHIFTS_PER_WEEK,
    MIN_CAPACITY,
    SHIFT_KIND_LABELS,
    DayPart,
    Service,
    ShiftKind,
    Tag,
)
from scheduler.shifts.planning import ShiftDetails
from scheduler.shifts.weeks import is_plannable, local_today, week_start

WEEKDAY_CHOICES = [
    SelectChoice(1, _l("Mon")),
    SelectChoice(2, _l("Tue")),
    SelectChoice(3, _l("Wed")),
    SelectChoice(4, _l("Thu")),
    SelectChoice(5, _l("Fri")),
    SelectChoice(6, _l("Sat")),
    SelectChoice(7, _l("Sun")),
]
SCOPE_ONE = "one"
SCOPE_LATER = "later"
SCOPE_CHOICES = [
    SelectChoice(SCOPE_ONE, _l("Only this shift")),
    SelectChoice(SCOPE_LATER, _l("This shift and all later ones of its series")),
]


class PlannableDate:
    """A date, or a date and time, within the years anyone plans for (also used by tasks)."""

    message = _l("Choose a date between 2000 and 2099.")

    def __call__(self, form, field):
        day = field.data.date() if isinstance(field.data, datetime) else field.data
        if day is not None and not is_plannable(day):
            raise ValidationError(self.message)


def service_choices(services: list[Service]) -> list[SelectChoice]:
    """The choice of no service, then the services under their menu categories; unpublished ones marked."""
    return [SelectChoice("", _l("No menu service"))] + [
        SelectChoice(
            service.id,
            service.title if service.published else _("%(title)s (not published)", title=service.title),
            optgroup=service.category.name,
        )
        for service in services
    ]


class MultiCheckboxField(SelectMultipleField):
    """A group of checkboxes: easier to tap on a phone than a multiple select."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ShiftFieldsForm(FlaskForm):
    """What every shift has: used for one shift and for a weekly series."""

    title = StringField(
        _l("Title"),
        filters=[strip_text],
        validators=[DataRequired(), Length(max=80), NoControlCharacters()],
        description=_l("e.g. 驿站值班, 剪纸课"),
    )
    kind = SelectField(
        _l("Kind"),
        choices=[SelectChoice(kind.value, label) for kind, label in SHIFT_KIND_LABELS.items()],
        default=ShiftKind.DUTY.value,
    )
    location = StringField(
        _l("Where"),
        filters=[strip_text],
        validators=[Length(max=80), NoControlCharacters()],
        description=_l("One of the station's areas, or another place."),
    )
    start = TimeField(_l("From"), validators=[InputRequired()], default=time(9, 0))
    end = TimeField(
        _l("Until"),
        validators=[InputRequired()],
        default=time(11, 30),
        description=_l("An end before the start means the next day."),
    )
    capacity = IntegerField(
        _l("Places"),
        validators=[InputRequired(), NumberRange(min=MIN_CAPACITY, max=MAX_CAPACITY)],
        default=2,
    )
    self_signup = BooleanField(_l("Volunteers may sign themselves up"), default=True)
    service_id = SelectField(
        _l("Menu service"),
        coerce=int_or_none,
        validate_choice=False,
        validators=[ListedOrEmpty(_l("Choose one of this station's services."))],
        description=_l("The service of the menu this shift gives; residents see the dates of activities."),
    )
    needs_tag_id = SelectField(
        _l("Places needing a tag"),
        coerce=int_or_none,
        validate_choice=False,
        validators=[ListedOrEmpty(_l("Choose one of this station's tags."))],
        description=_l("e.g. at least one 党员 on 先锋驿站 duty."),
    )
    needs_tag_count = IntegerField(
        _l("At least this many of its places"),
        validators=[Optional(), NumberRange(min=0, max=MAX_CAPACITY)],
        default=0,
    )
    notes = TextAreaField(
        _l("Notes for the people on it"),
        filters=[strip_text],
        validators=[Optional(), Length(max=500), NoControlCharacters()],
    )

    def __init__(self, services: list[Service], tags: list[Tag], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.service_id.choices = service_choices(services)
        self.needs_tag_id.choices = [SelectChoice("", _l("No tag needed"))] + [
            SelectChoice(tag.id, tag.name) for tag in tags
        ]

    def details(self) -> ShiftDetails:
        return ShiftDetails(
            kind=ShiftKind(self.kind.data),
            title=self.title.data,
            location=self.location.data or "",
            start=self.start.data,
            end=self.end.data,
            capacity=self.capacity.data,
            self_signup=self.self_signup.data,
            notes=self.notes.data or "",
            service_id=self.service_id.data,
            needs_tag_id=self.needs_tag_id.data,
            needs_tag_count=(self.needs_tag_count.data or 0) if self.needs_tag_id.data else 0,
        )


class ShiftForm(ShiftFieldsForm):
    day = DateField(_l("Day"), validators=[InputRequired(), PlannableDate()])
    scope = RadioField(
        _l("Change"),
        choices=SCOPE_CHOICES,
        default=SCOPE_ONE,
    )


class SeriesForm(ShiftFieldsForm):
    weekdays = MultiCheckboxField(
        _l("Weekdays"),
        choices=WEEKDAY_CHOICES,
        coerce=int,
        default=[1, 2, 3, 4, 5],
        validators=[DataRequired()],
    )
    first_day = DateField(_l("First day"), validators=[InputRequired(), PlannableDate()])
    last_day = DateField(_l("Last day"), validators=[InputRequired(), PlannableDate()])
    extra_start = TimeField(_l("Second time from"), validators=[Optional()], default=time(14, 30))
    extra_end = TimeField(
        _l("Second time until"),
        validators=[Optional()],
        default=time(17, 0),
        description=_l("Leave both empty for one time a day."),
    )

    def __init__(self, services: list[Service], tags: list[Tag], *args, **kwargs):
        super().__init__(services, tags, *args, **kwargs)
        if not self.is_submitted():
            next_monday = week_start(local_today()) + timedelta(days=7)
            self.first_day.data = self.first_day.data or next_monday
            self.last_day.data = self.last_day.data or next_monday + timedelta(weeks=8, days=-3)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # Checked here, not inline: an empty field's Optional() would skip an inline check.
        if not (self.extra_start.errors or self.extra_end.errors) and (self.extra_start.data is None) != (
            self.extra_end.data is None
        ):
            self.extra_end.errors = [
                *self.extra_end.errors,
                _l("Give both times of the second shift, or neither."),
            ]
            valid = False
        return valid

    def extra_slots(self) -> list[tuple[time, time]]:
        if self.extra_start.data is None or self.extra_end.data is None:
            return []
        return [(self.extra_start.data, self.extra_end.data)]


class CancelForm(FlaskForm):
    scope = RadioField(
        _l("Cancel"),
        choices=SCOPE_CHOICES,
        default=SCOPE_ONE,
    )


class DeclineForm(FlaskForm):
    reason = TextAreaField(
        _l("Why can you not come?"),
        filters=[strip_text],
        validators=[
            DataRequired(message=_l("Tell the staff why, so they can plan.")),
            Length(max=200),
            NoControlCharacters(),
        ],
    )


class AssignForm(FlaskForm):
    user_id = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=MAX_ID)])


class AttendanceForm(FlaskForm):
    # Nobody ticked sends no field at all: that is an empty list, not a missing one.
    attended = MultiCheckboxField(_l("Came"), coerce=int, validate_choice=True, default=())
    # Asked only when attendance was recorded before: then a change is a correction, kept with its reason.
    reason = StringField(
        _l("Why the recorded attendance changes"),
        filters=[strip_text],
        validators=[Optional(), Length(max=CORRECTION_REASON_LENGTH), NoControlCharacters()],
    )


class CopyWeekForm(FlaskForm):
    """The board's button asks for a preview; the preview's button applies what it showed."""

    shift_ids = PreviewedIds()
    assignment_ids = PreviewedIds()
    apply = SubmitField(_l("Copy to next week"))


class AutofillForm(FlaskForm):
    # Each ticked line is "shift id-person id"; lines the proposal did not make are skipped on apply.
    lines = MultiCheckboxField(_l("Proposed places"), coerce=str, validate_choice=False, default=())


class AvailabilityForm(FlaskForm):
    """When a person can usually serve: a box per weekday and part of the day."""

    slots = MultiCheckboxField(_l("When I can usually serve"), coerce=int, default=())
    max_per_week = IntegerField(
        _l("At most this many shifts a week"),
        validators=[Optional(), NumberRange(min=1, max=MAX_SHIFTS_PER_WEEK)],
        description=_l("Leave empty for no limit."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.slots.choices = [
            SelectChoice(weekday * len(DayPart) + part, f"{WEEKDAY_CHOICES[weekday].label}{part.label}")
            for weekday in range(7)
            for part in DayPart
        ]

    def slot_bits(self) -> int:
        return sum(1 << index for index in self.slots.data)


class DateAwayForm(FlaskForm):
    first_day = DateField(_l("First day away"), validators=[InputRequired(), PlannableDate()])
    last_day = DateField(_l("Last day away"), validators=[InputRequired(), PlannableDate()])
    note = StringField(
        _l("Why (optional)"),
        filters=[strip_text],
        validators=[Optional(), Length(max=100), NoControlCharacters()],
        description=_l("e.g. travel, hospital, looking after grandchildren"),
    )


class TagsForm(FlaskForm):
    tags = StringField(
        _l("Tags"),
        filters=[strip_text],
        validators=[Optional(), Length(max=250), NoControlCharacters()],
        description=_l("Separated by spaces, e.g. 党员 理发 医护. Shifts can ask for people with a tag."),
    )

    def names(self) -> list[str]:
        return (self.tags.data or "").replace("，", " ").replace(",", " ").split()
