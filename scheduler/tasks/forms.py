from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from scheduler.database import utcnow
from scheduler.forms import ListedOrEmpty, NoControlCharacters, PreviewedIds, int_or_none, strip_text
from scheduler.models import TASK_KIND_LABELS, Health, ServiceRequest, TaskKind
from scheduler.shifts.forms import PlannableDate
from scheduler.shifts.weeks import is_plannable
from scheduler.tasks.dispatch import Candidate
from scheduler.tasks.from_request import kind_for_service, split_unit_room, window_for_preference
from scheduler.tasks.services import MAX_MINUTES, NOTE_LENGTH, Checklist
from scheduler.visits.forms import BeneficiaryFilterForm, short_text

LOCAL_INPUT_FORMAT = "%Y-%m-%dT%H:%M"


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def local_to_utc(value: datetime) -> datetime:
    """A time typed in the community's zone (naive, from the form) as aware UTC."""
    return value.replace(tzinfo=local_zone()).astimezone(UTC)


def tomorrow_morning() -> tuple[datetime, datetime]:
    """Default window for a new task: tomorrow 9:00–11:00, local time."""
    tomorrow = utcnow().astimezone(local_zone()).date() + timedelta(days=1)
    start = datetime.combine(tomorrow, time(9))
    return start, start + timedelta(hours=2)


def note_field(label, required_message=None, **kwargs) -> TextAreaField:
    """Free text of at most NOTE_LENGTH characters; required when given a message for its absence."""
    validators = [DataRequired(message=required_message)] if required_message else []
    validators += [Length(max=NOTE_LENGTH), NoControlCharacters()]
    return TextAreaField(label, filters=[strip_text], validators=validators, **kwargs)


class TimeWindowFields:
    """Kind, window and instructions: what every way of creating tasks asks for."""

    kind = SelectField(
        _l("Kind of task"),
        choices=[SelectChoice(kind.value, label) for kind, label in TASK_KIND_LABELS.items()],
        default=TaskKind.VISIT.value,
    )
    # Outside 2000–2099 a time is a typing mistake, and would overflow the conversion to UTC.
    starts_at = DateTimeLocalField(
        _l("From"),
        format=LOCAL_INPUT_FORMAT,
        validators=[InputRequired(_l("Enter a date and time.")), PlannableDate()],
    )
    ends_at = DateTimeLocalField(
        _l("Until"),
        format=LOCAL_INPUT_FORMAT,
        validators=[InputRequired(_l("Enter a date and time.")), PlannableDate()],
    )
    instructions = note_field(
        _l("Instructions for the volunteer"),
        description=_l("What to bring or check. The volunteer sees this with the address."),
    )

    def set_default_window(self) -> None:
        if self.starts_at.data is None and self.ends_at.data is None:
            self.starts_at.data, self.ends_at.data = tomorrow_morning()

    def window_and_kind(self) -> dict:
        return dict(
            kind=TaskKind(self.kind.data),
            starts_at=local_to_utc(self.starts_at.data),
            ends_at=local_to_utc(self.ends_at.data),
            instructions=self.instructions.data or "",
        )


class TaskForm(TimeWindowFields, FlaskForm):
    beneficiary_id = SelectField(_l("Resident"), coerce=int_or_none, validators=[DataRequired()])
    open_to_claim = BooleanField(
        _l("Anyone may take"),
        description=_l("Volunteers of the station see it and the first to take it gets it."),
    )

    def __init__(self, beneficiaries, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.beneficiary_id.choices = [SelectChoice("", _l("— choose —"))] + [
            SelectChoice(b.id, f"{b.name} · {b.address}") for b in beneficiaries
        ]


class TaskFromRequestForm(TimeWindowFields, FlaskForm):
    """A resident's request as a task: first guesses from what they wrote, checked by staff."""

    unit = short_text(_l("Unit"), 10, description=_l("For example 2单元; leave empty if none."))
    room = short_text(_l("Room"), 10, description=_l("As the register of residents writes it."))
    assignee_id = SelectField(
        _l("Who goes"),
        coerce=int_or_none,
        validate_choice=False,
        validators=[ListedOrEmpty(_l("Choose an active member of this station."))],
        description=_l("Optional: you can also choose on the task's page."),
    )

    def prefill(self, service_request: ServiceRequest) -> None:
        self.kind.data = kind_for_service(service_request.service.title).value
        self.starts_at.data, self.ends_at.data = wished_window(service_request)
        self.instructions.data = service_request.details
        self.unit.data, self.room.data = split_unit_room(service_request.unit_room)

    def window_in_utc(self, service_request: ServiceRequest) -> tuple[datetime, datetime]:
        """The window typed so far, or the resident's wish while it is not a plausible window yet."""
        start, end = self.starts_at.data, self.ends_at.data
        plausible = start and end and start < end and is_plannable(start.date()) and is_plannable(end.date())
        if not plausible:
            start, end = wished_window(service_request)
        return local_to_utc(start), local_to_utc(end)

    def set_candidates(self, candidates: list[Candidate], building_name: str) -> None:
        self.assignee_id.choices = [SelectChoice("", _l("Decide later"))] + [
            SelectChoice(candidate.user.id, candidate_label(candidate, building_name))
            for candidate in candidates
        ]

    def task_fields(self) -> dict:
        return dict(unit=self.unit.data or "", room=self.room.data or "", **self.window_and_kind())


def wished_window(service_request: ServiceRequest) -> tuple[datetime, datetime]:
    """The window the resident asked for, as local times for the form."""
    now = utcnow().astimezone(local_zone()).replace(tzinfo=None)
    return window_for_preference(service_request.preferred_time, now)


def candidate_label(candidate: Candidate, building_name: str) -> str:
    """王建国 · 5号楼楼栋长 · 2 tasks in hand: the dispatch picker's facts, as one option."""
    facts = [candidate.user.display_name]
    if candidate.building_head:
        facts.append(_l("Building head of %(building)s", building=building_name))
    if candidate.busy:
        facts.append(_l("busy at that time"))
    facts.append(ngettext("%(num)d task in hand", "%(num)d tasks in hand", candidate.load))
    return " · ".join(str(fact) for fact in facts)


class PreviewForm(FlaskForm):
    previewed = PreviewedIds()


class CheckAllForm(TimeWindowFields, BeneficiaryFilterForm, FlaskForm):
    # Empty is every building; a building that is not offered is refused, never read as "all".
    building_id = SelectField(
        _l("Building"),
        coerce=int_or_none,
        validate_choice=False,
        validators=[ListedOrEmpty(_l("Choose one of the buildings, or all of them."))],
    )
    title = short_text(
        _l("Title"), 60, required=True, description=_l("For example: visits before the cold wave.")
    )
    previewed = PreviewedIds()
    # Pressed on the preview: write what it showed. Any other submit (re)builds the preview.
    apply = SubmitField(_l("Create the tasks"))


def _per_task_meta() -> dict:
    # Several tasks' forms share one page, so their fields carry the task in a prefix. The
    # CSRF token travels in the page-wide csrf_token field and header that CSRFProtect checks
    # on every POST, so these forms do not carry a prefixed second copy.
    return {"csrf": False}


class DeclineForm(FlaskForm):
    reason = note_field(_l("Why can you not do it?"), required_message=_l("Say briefly why."))

    def __init__(self, task_id: int, *args, **kwargs):
        super().__init__(*args, prefix=f"task{task_id}-decline", meta=_per_task_meta(), **kwargs)


class DoneForm(FlaskForm):
    health = RadioField(
        _l("How are they?"),
        choices=[
            SelectChoice(Health.GOOD.value, _l("In good health")),
            SelectChoice(Health.FOLLOW_UP.value, _l("Needs follow-up")),
        ],
        validators=[InputRequired(_l("Choose one."))],
    )
    safety_hazard = BooleanField(_l("Safety hazard at home"))
    needs_help = BooleanField(_l("Needs help with medicine or food"))
    other_concern = BooleanField(_l("Something else worries me (say it in the note)"))
    note = note_field(_l("Short note"), required_message=_l("Write a short note about the visit."))
    minutes = IntegerField(
        _l("Minutes spent"),
        validators=[
            InputRequired(_l("Enter the minutes spent.")),
            NumberRange(min=1, max=MAX_MINUTES, message=_l("From 1 to %(max)s minutes.")),
        ],
    )

    def __init__(self, task_id: int, *args, **kwargs):
        super().__init__(*args, prefix=f"task{task_id}-done", meta=_per_task_meta(), **kwargs)

    def checklist(self) -> Checklist:
        return Checklist(
            health=Health(self.health.data),
            safety_hazard=self.safety_hazard.data,
            needs_help=self.needs_help.data,
            other_concern=self.other_concern.data,
        )


class ReasonForm(FlaskForm):
    """Staff cancelling a task or taking it back."""

    reason = note_field(_l("Reason"), required_message=_l("Say briefly why."))


class HandleFlagForm(FlaskForm):
    note = note_field(_l("What was done"), required_message=_l("Write what was done about it."))

    def __init__(self, record_id: int, *args, **kwargs):
        super().__init__(*args, prefix=f"flag{record_id}", meta=_per_task_meta(), **kwargs)
