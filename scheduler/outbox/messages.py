"""What may leave the app: one function per kind of notice, each a ``Message``.

These texts go to work-chat groups, mailboxes and SMS gateways, so they never carry a
resident's name, address, phone or care notes: a building, a kind of task, a request's
reference and a link are enough; the details stay behind the login.
``tests/outbox/test_privacy.py`` renders every function here with a resident's data
in play and checks that none of it comes out.

Texts are in the station's language (the default locale), whoever caused the event:
the group reads Chinese even when a secretary works in English.
"""

from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from scheduler.models import Assignment, Building, RequestState, ServiceRequest, Shift, Station, Task
from scheduler.shifts.formatting import shift_time


@dataclass(frozen=True)
class Message:
    """``event`` names the kind (for filters); ``ref`` makes the idempotency key (None: unique)."""

    event: str
    text: str
    ref: str | int | None = None
    urgent: bool = False


def station_language():
    return force_locale(current_app.config["BABEL_DEFAULT_LOCALE"])


def _task_place(task: Task) -> str:
    return f"{task.beneficiary.building.name} {task.kind.label}"


def generic() -> Message:
    """For notices without a text of their own: only that there is news, and the link."""
    with station_language():
        return Message("notice", _("You have a new notice from the station."))


def shift_assigned(shift: Shift, assignment: Assignment) -> Message:
    with station_language():
        text = _(
            "Shift for you: %(title)s, %(time)s. Please confirm or decline.",
            title=shift.title,
            time=shift_time(shift),
        )
    return Message("shift.assigned", text, assignment.id)


def shifts_planned() -> Message:
    with station_language():
        return Message(
            "shift.planned", _("You have been put on shifts next week. Please confirm or decline.")
        )


def shift_changed(shift: Shift) -> Message:
    with station_language():
        return Message(
            "shift.changed",
            _("A shift of yours changed: %(title)s, %(time)s.", title=shift.title, time=shift_time(shift)),
        )


def shift_cancelled(shift: Shift) -> Message:
    with station_language():
        return Message(
            "shift.cancelled",
            _(
                "Cancelled: %(title)s, %(time)s. You do not need to come.",
                title=shift.title,
                time=shift_time(shift),
            ),
        )


def shift_removed(shift: Shift) -> Message:
    with station_language():
        return Message(
            "shift.removed",
            _("You are no longer on %(title)s, %(time)s.", title=shift.title, time=shift_time(shift)),
        )


def shift_promoted(shift: Shift, assignment: Assignment) -> Message:
    with station_language():
        text = _(
            "A place on %(title)s, %(time)s, became free and is now yours.",
            title=shift.title,
            time=shift_time(shift),
        )
    return Message("shift.promoted", text, assignment.id)


def swap_taken(shift: Shift) -> Message:
    with station_language():
        text = _(
            "Your place on %(title)s, %(time)s, was taken over. You are free then.",
            title=shift.title,
            time=shift_time(shift),
        )
    return Message("shift.swap", text)


def shift_tomorrow(shift: Shift, assignment: Assignment) -> Message:
    with station_language():
        text = _(
            "Reminder: tomorrow you are on %(title)s, %(time)s.", title=shift.title, time=shift_time(shift)
        )
    return Message("shift.evening", text, assignment.id)


def shift_soon(shift: Shift, assignment: Assignment) -> Message:
    with station_language():
        text = _("Reminder: %(title)s starts soon, %(time)s.", title=shift.title, time=shift_time(shift))
    return Message("shift.soon", text, assignment.id)


def answer_awaited(shift: Shift, assignment: Assignment) -> Message:
    with station_language():
        text = _(
            "Still waiting for your answer: %(title)s, %(time)s.", title=shift.title, time=shift_time(shift)
        )
    return Message("shift.unanswered", text, assignment.id)


def task_assigned(task: Task, ref: str) -> Message:
    with station_language():
        text = _("%(place)s task for you: please accept or decline.", place=_task_place(task))
    return Message("task.assigned", text, ref)


def task_not_accepted(task: Task, ref: str) -> Message:
    with station_language():
        text = _("%(place)s task not accepted yet: please follow up.", place=_task_place(task))
    return Message("task.unaccepted", text, ref)


def task_taken_back(task: Task) -> Message:
    with station_language():
        return Message(
            "task.released", _("%(place)s task was given to someone else.", place=_task_place(task))
        )


def task_cancelled(task: Task) -> Message:
    with station_language():
        return Message("task.cancelled", _("%(place)s task was cancelled.", place=_task_place(task)))


def request_filed(service_request: ServiceRequest) -> Message:
    with station_language():
        text = _("New resident request (ref %(reference)s).", reference=service_request.reference)
    return Message("request.new", text, service_request.id)


def request_moved(service_request: ServiceRequest, state: RequestState) -> Message:
    with station_language():
        text = _(
            "Request %(reference)s is now: %(state)s.", reference=service_request.reference, state=state.label
        )
    return Message("request.state", text)


def red_flag(task: Task, record_id: int) -> Message:
    with station_language():
        text = _(
            "Urgent: a home visit in %(building)s found a concern. Please look now.",
            building=task.beneficiary.building.name,
        )
    return Message("visit.flag", text, record_id, urgent=True)


def overdue_digest(building: Building, count: int, week: str) -> Message:
    with station_language():
        text = _(
            "%(building)s: %(count)s home visits are overdue this week.", building=building.name, count=count
        )
    return Message("visit.digest", text, week)


def report_ready(month_label: str, month_key: str) -> Message:
    with station_language():
        return Message(
            "report.ready", _("The monthly report for %(month)s is ready.", month=month_label), month_key
        )


def test_message(station: Station) -> Message:
    with station_language():
        return Message(
            "test", _("Test message from %(station)s: notices reach this chat.", station=station.name)
        )
