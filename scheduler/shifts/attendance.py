"""Who came: attendance recorded and corrected, in one function (attendance is history).

A shift's attendance is recorded once it has started. Changing what was recorded is a
correction: it needs a reason, and is kept with who made it, when, from what and to what.
Taking a recorded place off its shift is refused in ``services.removable``.
"""

from dataclasses import dataclass

from blinker import Namespace
from flask_babel import gettext as _

from scheduler.extensions import db
from scheduler.models import (
    CORRECTION_REASON_LENGTH,
    RECORDED_STATES,
    Assignment,
    AssignmentState,
    AttendanceCorrection,
    User,
)
from scheduler.rules import RuleViolation
from scheduler.shifts.services import lock_shift, place_holders, transaction

# Sent by ``set_attendance`` inside its transaction with the shift, ``by`` and ``changes``
# (a list of ``AttendanceChange``) whenever anyone's attendance changes, first recording and
# corrections alike: receivers (such as hours credited elsewhere) add to it and never commit.
attendance_changed = Namespace().signal("attendance-changed")


@dataclass(frozen=True)
class AttendanceChange:
    assignment: Assignment
    from_state: AssignmentState
    to_state: AssignmentState


def set_attendance(
    shift_id: int,
    attended_user_ids: set[int],
    by: User | None,
    reason: str | None = "",
    judged_user_ids: set[int] | None = None,
) -> list[AttendanceChange]:
    """The one way attendance changes: who came (the others did not), recorded or corrected.

    ``judged_user_ids`` limits the change to those people (one person checking in); by default
    everyone holding a place is judged. Changing attendance already recorded is a correction:
    it needs a reason and is kept with who made it, when, from what and to what.
    """
    reason = (reason or "").strip()
    with transaction():
        shift = lock_shift(shift_id)
        if shift.cancelled:
            raise RuleViolation(_("This shift is cancelled."))
        if not shift.has_started():
            raise RuleViolation(_("Attendance can be recorded once the shift has started."))
        changes = []
        for assignment in place_holders([shift]):
            if judged_user_ids is not None and assignment.user_id not in judged_user_ids:
                continue
            came = assignment.user_id in attended_user_ids
            to_state = AssignmentState.ATTENDED if came else AssignmentState.NO_SHOW
            if assignment.state == to_state:
                continue
            if assignment.state in RECORDED_STATES:
                if not reason:
                    raise RuleViolation(
                        _("Attendance was already recorded. Say why it changes; the correction is kept."),
                        field="reason",
                    )
                db.session.add(
                    AttendanceCorrection(
                        station_id=shift.station_id,
                        assignment_id=assignment.id,
                        by_id=by.id if by else None,
                        from_state=assignment.state,
                        to_state=to_state,
                        reason=reason[:CORRECTION_REASON_LENGTH],
                    )
                )
            changes.append(AttendanceChange(assignment, assignment.state, to_state))
            assignment.state = to_state
            assignment.swap_offered_at = None
        db.session.flush()
        if changes:
            attendance_changed.send(shift, by=by, changes=changes)
        return changes
