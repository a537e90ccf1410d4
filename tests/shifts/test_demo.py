"""The demo station's shifts: alive around today, every state present, the rules kept, idempotent."""

from collections import defaultdict
from itertools import pairwise

import sqlalchemy as sa

from scheduler.database import utcnow
from scheduler.models import STATION_AREAS, Assignment, AssignmentState, Shift, WaitlistEntry


def test_seed_demo_plans_a_living_station_and_can_run_again(runner, read):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0

    def snapshot(session):
        shifts = list(session.scalars(sa.select(Shift)))
        assignments = list(session.scalars(sa.select(Assignment)))
        waiting = session.scalar(sa.select(sa.func.count(WaitlistEntry.id)))
        return shifts, assignments, waiting

    shifts, assignments, waiting = read(snapshot)
    now = utcnow()
    assert min(s.starts_at for s in shifts) < now and max(s.starts_at for s in shifts) > now
    assert {s.location for s in shifts} >= set(STATION_AREAS)
    assert {"剪纸课", "编织课", "假期少儿科学课"} <= {s.title for s in shifts}
    assert {a.state for a in assignments} == set(AssignmentState)
    assert waiting >= 1
    assert sum(1 for a in assignments if a.swap_offered_at is not None) == 1

    by_shift = {s.id: s for s in shifts}
    places = defaultdict(list)
    for assignment in assignments:
        if assignment.holds_place:
            places[assignment.user_id].append(by_shift[assignment.shift_id])
    for person_shifts in places.values():
        person_shifts.sort(key=lambda s: s.starts_at)
        for earlier, later in pairwise(person_shifts):
            assert earlier.ends_at <= later.starts_at, "nobody is on two overlapping shifts"
    taken = defaultdict(int)
    for assignment in assignments:
        taken[assignment.shift_id] += assignment.holds_place
    assert all(taken[s.id] <= s.capacity for s in shifts)

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    again = read(snapshot)
    assert (len(again[0]), len(again[1]), again[2]) == (len(shifts), len(assignments), waiting)
