"""Time auto-fill's solver on a month (120 shifts × 60 people) and a week (30 shifts × 40 people).

    .venv/bin/python -m bench.autofill

Uses the random stations of the property tests; prints seconds per run, places filled,
and the largest monthly load next to a plain greedy's.
"""

import time
from datetime import timedelta

from scheduler.shifts.autofill import Problem, propose
from tests.shifts.test_autofill_properties import FIRST_DAY, greedy, largest_load, random_problem


def sized(seed: int, people: int, shifts: int, days: int) -> Problem:
    station = random_problem(seed)
    while len(station.people) < people or len(station.openings) < shifts:
        seed += 1000
        station = random_problem(seed)
    openings = tuple(o for o in station.openings if o.day < FIRST_DAY + timedelta(days=days))
    return Problem(station.people[:people], openings[:shifts])


def main() -> None:
    for label, people, shifts, days in (("month", 60, 120, 28), ("week", 40, 30, 7)):
        for seed in range(3):
            problem = sized(seed, people, shifts, days)
            started = time.perf_counter()
            proposal = propose(problem)
            seconds = time.perf_counter() - started
            ours = [(line.opening_id, line.person_id) for line in proposal.lines]
            theirs = greedy(problem)
            among = {p for candidates in proposal.candidates.values() for p in candidates}
            ours_largest, theirs_largest = (
                largest_load(problem, ours, among),
                largest_load(problem, theirs, among),
            )
            print(
                f"{label} {len(problem.openings)} shifts × {len(problem.people)} people: {seconds:.2f} s, "
                f"filled {len(ours)} (greedy {len(theirs)}), largest load "
                f"{ours_largest / 4:.1f} h (greedy {theirs_largest / 4:.1f} h)"
            )


if __name__ == "__main__":
    main()
