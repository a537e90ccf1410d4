"""Proposing people for a week's (or a series-month's) unfilled places with CP-SAT.

Pure: it takes plain facts and returns a proposal, so it can be tested on thousands of
made-up stations without a database. ``scheduler.shifts.autofill_plan`` reads the facts
and applies what the secretary keeps through the locked service path.

Hard rules are constraints (never broken); the wishes are a lexicographic objective,
solved in stages: most places filled, then the smallest largest monthly load, then the
smallest spread of loads, then continuity on a series, then building heads near their
building. Every stage keeps the optimum of the stages before it.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from ortools.sat.python import cp_model

# Loads count in quarter hours: CP-SAT works in integers.
QUARTERS_PER_HOUR = 4
SEED = 14
# One search worker: of the machine's two cores, the other stays with the web server, and a
# single worker stopped by deterministic time (work done, not the clock) gives the same
# proposal for the same data however busy the machine is. Budgets per stage, in the
# solver's deterministic time units (about seconds here); the wall clock only guards them.
WORKERS = 1
FIRST_STAGE_SECONDS = 0.6  # filling places and the largest load matter most
STAGE_SECONDS = 0.3
LAST_STAGES_SECONDS = 0.15
WALL_CLOCK_GUARD = 10  # × the stage's budget: only against a pathological case


@dataclass(frozen=True)
class Person:
    id: int
    free_slots: int | None  # Availability.slots; None when they have not said
    max_per_week: int | None = None
    away: tuple[tuple[date, date], ...] = ()
    tag_ids: frozenset[int] = frozenset()
    building: str = ""  # the building they head, "" if none
    done_quarters: int = 0  # attended this month
    planned_quarters: int = 0  # assigned or confirmed this month
    week_counts: dict[date, int] = field(default_factory=dict, hash=False)  # places held per week
    series_ids: frozenset[int] = frozenset()  # series they served on before


@dataclass(frozen=True)
class Opening:
    """A shift with free places: ``free`` of them, ``tagged_needed`` of which need ``tag_id``."""

    id: int
    starts_at: datetime
    ends_at: datetime
    day: date
    week: date
    slot_bits: int  # Availability bits of every part of the day the shift touches
    quarters: int
    free: int
    tag_id: int | None = None
    tagged_needed: int = 0
    series_id: int | None = None
    location: str = ""
    blocked: frozenset[int] = frozenset()  # busy then, declined it or already on it

    def overlaps(self, other: "Opening") -> bool:
        return self.starts_at < other.ends_at and other.starts_at < self.ends_at


@dataclass(frozen=True)
class Problem:
    people: tuple[Person, ...]
    openings: tuple[Opening, ...]


@dataclass(frozen=True)
class Line:
    opening_id: int
    person_id: int
    tagged: bool
    continuity: bool
    near_home: bool


@dataclass
class Proposal:
    lines: list[Line]
    unfilled: dict[int, int]  # opening id -> places left empty
    candidates: dict[int, list[int]]  # opening id -> everyone who could take it
    load_before: dict[int, int]  # person id -> quarters this month before the proposal


def is_eligible(person: Person, opening: Opening) -> bool:
    """Every hard rule about one person and one shift on its own."""
    if person.id in opening.blocked:
        return False
    if any(first <= opening.day <= last for first, last in person.away):
        return False
    if person.free_slots is not None and person.free_slots & opening.slot_bits != opening.slot_bits:
        return False
    return person.max_per_week is None or person.week_counts.get(opening.week, 0) < person.max_per_week


def _near_home(person: Person, opening: Opening) -> bool:
    return bool(person.building) and person.building in opening.location


class _Stages:
    """Solves a model again and again, each time keeping the optimum found before as a rule."""

    def __init__(self, model: cp_model.CpModel, choices: dict):
        self.model, self.choices = model, choices
        self.chosen = {key: False for key in choices}

    def optimise(self, objective, maximise: bool = False, seconds: float = STAGE_SECONDS) -> None:
        model = self.model
        model.ClearHints()
        for key, var in self.choices.items():
            model.AddHint(var, self.chosen[key])
        model.Maximize(objective) if maximise else model.Minimize(objective)
        solver = cp_model.CpSolver()
        solver.parameters.random_seed = SEED
        solver.parameters.num_workers = WORKERS
        solver.parameters.linearization_level = 2
        solver.parameters.max_deterministic_time = seconds
        solver.parameters.max_time_in_seconds = seconds * WALL_CLOCK_GUARD
        if solver.Solve(model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return  # out of time without a solution: the earlier stages' answer stands
        best = round(solver.ObjectiveValue())
        model.Add(objective >= best) if maximise else model.Add(objective <= best)
        self.chosen = {key: solver.BooleanValue(var) for key, var in self.choices.items()}


def _warm_start(problem: Problem, people: dict, candidates: dict, load_before: dict) -> dict:
    """A first answer for the solver to improve on: each place in time order to the least loaded.

    The solver may stop at its time limit; starting from here, it never ends with fewer
    places filled than this plain rule would fill.
    """
    load, held, chosen = dict(load_before), defaultdict(list), {}
    for opening in sorted(problem.openings, key=lambda o: (o.starts_at, o.id)):
        taken = []
        for place in range(opening.free):
            tagged_only = opening.tag_id is not None and place < opening.tagged_needed
            fitting = [
                person_id
                for person_id in candidates[opening.id]
                if person_id not in taken
                and (not tagged_only or opening.tag_id in people[person_id].tag_ids)
                and not any(opening.overlaps(other) for other in held[person_id])
                and (
                    people[person_id].max_per_week is None
                    or people[person_id].week_counts.get(opening.week, 0)
                    + sum(other.week == opening.week for other in held[person_id])
                    < people[person_id].max_per_week
                )
            ]
            if fitting:
                best = min(fitting, key=lambda person_id: (load[person_id], person_id))
                taken.append(best)
                held[best].append(opening)
                load[best] += opening.quarters
                chosen[(best, opening.id)] = True
    return {
        key: chosen.get(key, False) for key in ((p, o.id) for o in problem.openings for p in candidates[o.id])
    }


def propose(problem: Problem) -> Proposal:
    people = {person.id: person for person in problem.people}
    candidates = {
        opening.id: [p.id for p in problem.people if is_eligible(p, opening)] for opening in problem.openings
    }
    load_before = {p.id: p.done_quarters + p.planned_quarters for p in problem.people}
    model = cp_model.CpModel()
    choose = {
        (person_id, opening.id): model.NewBoolVar(f"x{person_id}_{opening.id}")
        for opening in problem.openings
        for person_id in candidates[opening.id]
    }
    if not choose:
        return Proposal([], {o.id: o.free for o in problem.openings}, candidates, load_before)
    by_opening, by_person = defaultdict(list), defaultdict(list)
    for (person_id, opening_id), var in choose.items():
        by_opening[opening_id].append((person_id, var))
        by_person[person_id].append((opening_id, var))
    openings = {opening.id: opening for opening in problem.openings}

    for opening in problem.openings:
        chosen = by_opening[opening.id]
        model.Add(sum(var for _p, var in chosen) <= opening.free)
        # Places kept for the tag are never given to someone without it.
        untagged = [var for p, var in chosen if opening.tag_id not in people[p].tag_ids]
        if opening.tagged_needed and untagged:
            model.Add(sum(untagged) <= opening.free - min(opening.tagged_needed, opening.free))
    for person_id, held in by_person.items():
        person = people[person_id]
        # One shift at a time: of all shifts running at any shift's start, at most one.
        for opening_id, _var in held:
            moment = openings[opening_id].starts_at
            running = [v for o, v in held if openings[o].starts_at <= moment < openings[o].ends_at]
            if len(running) > 1:
                model.AddAtMostOne(running)
        if person.max_per_week is not None:
            per_week = defaultdict(list)
            for opening_id, var in held:
                per_week[openings[opening_id].week].append(var)
            for week, vars_ in per_week.items():
                model.Add(sum(vars_) <= person.max_per_week - person.week_counts.get(week, 0))

    stages = _Stages(model, choose)
    least_loaded_first = _warm_start(problem, people, candidates, load_before)
    stages.chosen = least_loaded_first
    # 1: fill as many places as possible.
    stages.optimise(sum(choose.values()), maximise=True, seconds=FIRST_STAGE_SECONDS)
    if sum(least_loaded_first.values()) == sum(stages.chosen.values()):
        # The plain answer fills as many: sharing out starts from it, so never ends less fair.
        stages.chosen = least_loaded_first
    # 2: the smallest largest monthly load among those who could be given something.
    horizon = max(load_before.values()) + sum(o.quarters * o.free for o in problem.openings)
    loads = []
    for person_id, held in by_person.items():
        load = model.NewIntVar(0, horizon, f"load{person_id}")
        model.Add(load == load_before[person_id] + sum(openings[o].quarters * var for o, var in held))
        loads.append(load)
    largest, smallest = model.NewIntVar(0, horizon, "largest"), model.NewIntVar(0, horizon, "smallest")
    model.AddMaxEquality(largest, loads)
    model.AddMinEquality(smallest, loads)
    stages.optimise(largest, seconds=FIRST_STAGE_SECONDS)
    # 3: the smallest spread between the most and the least loaded.
    stages.optimise(largest - smallest)
    # 4: the same people on a weekly series as before, then building heads near their building.
    continuity = [var for (p, o), var in choose.items() if openings[o].series_id in people[p].series_ids]
    near_home = [var for (p, o), var in choose.items() if _near_home(people[p], openings[o])]
    stages.optimise(
        sum(continuity) * (len(choose) + 1) + sum(near_home), maximise=True, seconds=LAST_STAGES_SECONDS
    )
    # 5: among equals, hours go to whoever had fewer before (the spread alone ignores the middle).
    lighter_first = sum(load_before[p] * openings[o].quarters * var for (p, o), var in choose.items())
    stages.optimise(lighter_first, seconds=LAST_STAGES_SECONDS)

    lines = [
        Line(
            opening_id=o,
            person_id=p,
            tagged=openings[o].tag_id in people[p].tag_ids,
            continuity=openings[o].series_id in people[p].series_ids,
            near_home=_near_home(people[p], openings[o]),
        )
        for (p, o) in sorted(choose, key=lambda key: (key[1], key[0]))
        if stages.chosen[(p, o)]
    ]
    taken = defaultdict(int)
    for line in lines:
        taken[line.opening_id] += 1
    unfilled = {o.id: o.free - taken[o.id] for o in problem.openings if o.free > taken[o.id]}
    return Proposal(lines, unfilled, candidates, load_before)
