"""The capacity check happens under the shift's lock, shown on SQLite too, deterministically.

SQLite serialises every transaction (BEGIN IMMEDIATE), so a race test with many clients
passes there even if a rule were read in one transaction and written in another. This test
interleaves two sign-ups on purpose: the first one, about to take the shift's lock, waits
until the second has checked the places (for at most a second). With the check inside the
locked transaction, the second cannot check before the first is done, so exactly one gets
the last place. A check done before the lock would let both see it free, and both get it.
"""

import threading

import sqlalchemy as sa

from scheduler.models import PLACE_HOLDING_STATES, Assignment
from scheduler.shifts import services
from tests.shifts.conftest import HTMX, days_from_now

PAUSE = 1.0  # seconds the first sign-up waits for the second one's check


def test_two_sign_ups_interleaved_at_the_lock_give_the_last_place_once(auth, make_shift, read, monkeypatch):
    shift = make_shift(capacity=1, starts_at=days_from_now(3))
    clients = [auth.login(), auth.login()]
    second_checked = threading.Event()
    first_at_lock = threading.Lock()
    waited = []
    real_lock_shift, real_places_taken = services.lock_shift, services.places_taken

    def lock_shift(shift_id):
        if first_at_lock.acquire(blocking=False):  # only the first request to get here waits
            waited.append(second_checked.wait(PAUSE))
        return real_lock_shift(shift_id)

    def places_taken(checked_shift):
        taken = real_places_taken(checked_shift)
        if waited or first_at_lock.locked():
            second_checked.set()
        return taken

    monkeypatch.setattr(services, "lock_shift", lock_shift)
    monkeypatch.setattr(services, "places_taken", places_taken)

    answers = [None, None]

    def sign_up(index):
        answers[index] = clients[index].post(f"/shifts/{shift.id}/signup", headers=HTMX)

    threads = [threading.Thread(target=sign_up, args=(index,)) for index in range(2)]
    threads[0].start()
    while not first_at_lock.locked():  # the first request is at the lock before the second starts
        threading.Event().wait(0.01)
    threads[1].start()
    for thread in threads:
        thread.join(timeout=30)

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200, 409], statuses
    holders = read(
        lambda s: list(
            s.scalars(
                sa.select(Assignment.user_id).where(
                    Assignment.shift_id == shift.id, Assignment.state.in_(PLACE_HOLDING_STATES)
                )
            )
        )
    )
    assert len(holders) == 1
