"""What needs a staff member now, first on /me: red flags, new requests, tasks left declined or
unaccepted, and today's shifts still missing people. Each area answers from its own queries."""

from dataclasses import dataclass

from scheduler.models import RequestState, Shift, Task, VisitRecord
from scheduler.requests.queries import state_counts
from scheduler.shifts.home import staff_overview
from scheduler.shifts.weeks import local_today, to_local
from scheduler.tasks.dashboard import station_dashboard


@dataclass
class Urgent:
    flagged: list[VisitRecord]
    new_requests: int
    declined_tasks: list[Task]
    unaccepted_tasks: list[Task]
    unfilled_today: list[Shift]
    taken: dict[int, int]

    @property
    def anything(self) -> bool:
        return bool(
            self.flagged
            or self.new_requests
            or self.declined_tasks
            or self.unaccepted_tasks
            or self.unfilled_today
        )


def urgent_section(user) -> dict:
    board = station_dashboard(user.station_id)
    shifts = staff_overview(user)
    today = local_today()
    return {
        "urgent": Urgent(
            flagged=board.flagged,
            new_requests=state_counts(user.station_id)[RequestState.NEW],
            declined_tasks=board.declined,
            unaccepted_tasks=board.waiting,
            unfilled_today=[shift for shift in shifts.unfilled if to_local(shift.starts_at).date() == today],
            taken=shifts.taken,
        )
    }
