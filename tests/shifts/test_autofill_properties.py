"""Random stations: auto-fill never breaks a hard rule, and shares work at least as fairly as greedy.

The checks below restate each hard rule from the issue on their own, not through the
solver's ``is_eligible``, so a rule dropped from the model or from that function fails here.
"""

import random
from collections import defaultdict
from datetime import date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.shifts.autofill import Opening, Person, Problem, propose

FIRST_DAY = date(2027, 3, 1)  # a Monday
TAGS = (1, 2)
PARTS = ((0, 12), (12, 18), (18, 24))  # morning, afternoon, evening in hours


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def random_problem(seed: int) -> Problem:
    """A station of up to 60 people and 150 shifts over four weeks, built from one seed.

    Built from a seed rather than drawn field by field: a 40 kB example would be slow
    to shrink and to print, and the seed alone reproduces a failure.
    """
    rng = random.Random(seed)
    people_ids = list(range(1, rng.randint(1, 60) + 1))
    people = []
    for person_id in people_ids:
        away_start = FIRST_DAY + timedelta(days=rng.randint(0, 27))
        people.append(
            Person(
                id=person_id,
                free_slots=None if rng.random() < 0.2 else rng.getrandbits(21),
                max_per_week=rng.choice([None, 1, 2, 3]),
                away=((away_start, away_start + timedelta(days=rng.randint(0, 6))),)
                if rng.random() < 0.3
                else (),
                tag_ids=frozenset(tag for tag in TAGS if rng.random() < 0.25),
                building=rng.choice(["", "", "1号楼"]),
                done_quarters=rng.randint(0, 40),
                planned_quarters=rng.randint(0, 40),
                week_counts={week_of(FIRST_DAY): rng.randint(0, 2)},
                series_ids=frozenset(rng.sample([1, 2], rng.randint(0, 1))),
            )
        )
    openings = []
    for opening_id in range(1, rng.randint(1, 150) + 1):
        day = FIRST_DAY + timedelta(days=rng.randint(0, 27))
        start_hour = rng.choice([8, 9, 10, 13, 14, 15, 18, 19])
        length = rng.randint(1, 3)
        end_hour = start_hour + length
        parts = [part for part, (begins, ends) in enumerate(PARTS) if start_hour < ends and begins < end_hour]
        free = rng.randint(1, 3)
        tag = rng.choice([None, None, *TAGS])
        starts_at = datetime(day.year, day.month, day.day, start_hour)
        openings.append(
            Opening(
                id=opening_id,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(hours=length),
                day=day,
                week=week_of(day),
                slot_bits=sum(1 << (day.weekday() * 3 + part) for part in parts),
                quarters=length * 4,
                free=free,
                tag_id=tag,
                tagged_needed=rng.randint(1, free) if tag else 0,
                series_id=rng.choice([None, 1, 2]),
                location=rng.choice(["", "1号楼", "先锋驿站"]),
                blocked=frozenset(rng.sample(people_ids, min(len(people_ids), rng.randint(0, 3)))),
            )
        )
    return Problem(tuple(people), tuple(openings))


def allowed(person: Person, opening: Opening) -> bool:
    needed_bits = [bit for bit in range(21) if opening.slot_bits & (1 << bit)]
    covered = person.free_slots is None or all(person.free_slots & (1 << bit) for bit in needed_bits)
    away = any(first <= opening.day <= last for first, last in person.away)
    return covered and not away and person.id not in opening.blocked


def rules_broken(problem: Problem, assignment: list[tuple[int, int]]) -> list[str]:
    people = {p.id: p for p in problem.people}
    openings = {o.id: o for o in problem.openings}
    broken = []
    per_opening = defaultdict(list)
    per_person = defaultdict(list)
    for opening_id, person_id in assignment:
        per_opening[opening_id].append(person_id)
        per_person[person_id].append(openings[opening_id])
        if not allowed(people[person_id], openings[opening_id]):
            broken.append(f"{person_id} not free, away or blocked for {opening_id}")
    for opening_id, chosen in per_opening.items():
        opening = openings[opening_id]
        if len(chosen) > opening.free or len(set(chosen)) != len(chosen):
            broken.append(f"over capacity on {opening_id}")
        without = sum(1 for p in chosen if opening.tag_id not in people[p].tag_ids)
        if opening.tag_id and without > opening.free - opening.tagged_needed:
            broken.append(f"a tagged place of {opening_id} went to someone without the tag")
    for person_id, held in per_person.items():
        person = people[person_id]
        for index, first in enumerate(held):
            if any(first.overlaps(second) for second in held[index + 1 :]):
                broken.append(f"{person_id} on two shifts at once")
        weeks = defaultdict(int)
        for opening in held:
            weeks[opening.week] += 1
        for week, count in weeks.items():
            if (
                person.max_per_week is not None
                and count + person.week_counts.get(week, 0) > person.max_per_week
            ):
                broken.append(f"{person_id} over their most shifts in the week of {week}")
    return broken


def greedy(problem: Problem) -> list[tuple[int, int]]:
    """Place by place in time order, to the allowed person with the least load so far."""
    load = {p.id: p.done_quarters + p.planned_quarters for p in problem.people}
    held = defaultdict(list)
    chosen: list[tuple[int, int]] = []
    for opening in sorted(problem.openings, key=lambda o: (o.starts_at, o.id)):
        taken = []
        for place in range(opening.free):
            tagged_only = opening.tag_id is not None and place < opening.tagged_needed
            fitting = [
                p
                for p in problem.people
                if p.id not in taken
                and (not tagged_only or opening.tag_id in p.tag_ids)
                and allowed(p, opening)
                and not any(opening.overlaps(other) for other in held[p.id])
                and (
                    p.max_per_week is None
                    or p.week_counts.get(opening.week, 0) + sum(o.week == opening.week for o in held[p.id])
                    < p.max_per_week
                )
            ]
            if fitting:
                best = min(fitting, key=lambda p: (load[p.id], p.id))
                chosen.append((opening.id, best.id))
                taken.append(best.id)
                held[best.id].append(opening)
                load[best.id] += opening.quarters
    return chosen


def largest_load(problem: Problem, assignment, among: set[int]) -> int:
    openings = {o.id: o for o in problem.openings}
    load = {p.id: p.done_quarters + p.planned_quarters for p in problem.people if p.id in among}
    for opening_id, person_id in assignment:
        load[person_id] += openings[opening_id].quarters
    return max(load.values(), default=0)


@settings(max_examples=6, deadline=None)
@given(st.integers(0, 2**32))
def test_no_proposal_breaks_a_hard_rule_and_none_is_less_fair_than_greedy(seed):
    problem = random_problem(seed)
    proposal = propose(problem)
    ours = [(line.opening_id, line.person_id) for line in proposal.lines]
    assert rules_broken(problem, ours) == []
    theirs = greedy(problem)
    assert len(ours) >= len(theirs)
    if len(ours) == len(theirs):
        # Loads counted over everyone the solver could give a place, the set it balances.
        among = {p for people in proposal.candidates.values() for p in people}
        assert largest_load(problem, ours, among) <= largest_load(problem, theirs, among)


def test_the_same_week_gives_the_same_proposal():
    """A week-sized station (30 places, 40 people) is solved to proof, so runs agree.

    Catches a solver left on a random seed or a time-dependent search; a month cut short
    by the time limit may differ (see STAGE_SECONDS).
    """
    station = random_problem(7)
    week = tuple(o for o in station.openings if o.day < FIRST_DAY + timedelta(days=7))[:15]
    problem = Problem(station.people[:40], week)
    first = propose(problem)
    assert first.lines
    assert propose(problem).lines == first.lines
