"""The edges of the shift rules, each pinned by a test that a one-character slip would fail.

Overlap: two shifts that only touch never clash, in either order, and one minute more does.
Waiting list: promotion follows the order people joined, not who has the older account.
Withdrawal: the cut-off is WITHDRAW_CUTOFF_HOURS to the second, as the volunteer meets it on /me.
"""

from datetime import time, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from scheduler.database import utcnow
from scheduler.models import Assignment, AssignmentState, WaitlistEntry
from scheduler.rules import RuleViolation
from scheduler.shifts import services
from tests.forms import form_on, submit_form
from tests.shifts.conftest import HTMX, days_from_now

# Overlaps ---------------------------------------------------------------------------------


@pytest.mark.parametrize("held_first", ["earlier", "later"])
def test_touching_shifts_never_clash_in_either_order(in_app, make_shift, make_user, place, read, held_first):
    """09:00–11:00 and 11:00–13:00: whichever the person holds, the other is free to take."""
    volunteer = make_user()
    earlier = make_shift(title="早班", starts_at=days_from_now(3, time(9, 0)), hours=2)
    later = make_shift(title="午班", starts_at=days_from_now(3, time(11, 0)), hours=2)
    held, taken = (earlier, later) if held_first == "earlier" else (later, earlier)
    place(held, volunteer)
    services.sign_up(taken.id, volunteer)
    holders = read(
        lambda s: set(s.scalars(sa.select(Assignment.shift_id).where(Assignment.user_id == volunteer.id)))
    )
    assert holders == {earlier.id, later.id}


@pytest.mark.parametrize("held_first", ["earlier", "later"])
def test_a_minute_of_overlap_clashes_in_either_order(in_app, make_shift, make_user, place, held_first):
    volunteer = make_user()
    earlier = make_shift(title="早班", starts_at=days_from_now(3, time(9, 0)), hours=2)
    later = make_shift(title="午班", starts_at=days_from_now(3, time(10, 59)), hours=2)
    held, taken = (earlier, later) if held_first == "earlier" else (later, earlier)
    place(held, volunteer)
    with pytest.raises(RuleViolation, match=held.title):
        services.sign_up(taken.id, volunteer)


# Waiting list -----------------------------------------------------------------------------


def test_promotion_follows_the_order_of_joining_not_of_accounts(in_app, make_shift, make_user, place, read):
    """The newer account joined first, so it is promoted first, then the older one."""
    shift = make_shift(capacity=2, starts_at=days_from_now(3))
    older_account, newer_account = make_user(), make_user()
    first_holder, second_holder = make_user(), make_user()
    places = [place(shift, first_holder), place(shift, second_holder)]
    services.join_waitlist(shift.id, newer_account)
    services.join_waitlist(shift.id, older_account)
    assert older_account.id < newer_account.id

    services.withdraw(places[0].id, first_holder)
    on_shift = read(
        lambda s: set(s.scalars(sa.select(Assignment.user_id).where(Assignment.shift_id == shift.id)))
    )
    assert on_shift == {second_holder.id, newer_account.id}
    assert read(lambda s: list(s.scalars(sa.select(WaitlistEntry.user_id)))) == [older_account.id]

    services.withdraw(places[1].id, second_holder)
    on_shift = read(
        lambda s: set(s.scalars(sa.select(Assignment.user_id).where(Assignment.shift_id == shift.id)))
    )
    assert on_shift == {newer_account.id, older_account.id}


# Withdrawal cut-off, over HTTP with the setting changed ------------------------------------


@pytest.fixture
def three_hour_cutoff(app):
    app.config["WITHDRAW_CUTOFF_HOURS"] = 3
    return 3


@pytest.fixture
def confirmed_place(auth, make_shift, place):
    """A volunteer signed in, confirmed on a shift that starts 3 h and 1 s from now."""
    client = auth.login()
    starts_at = utcnow().replace(microsecond=0) + timedelta(hours=3, seconds=1)
    shift = make_shift(title="周末值班", starts_at=starts_at)
    return client, shift, place(shift, client.user)


WITHDRAW_BUTTON = "/shifts/assignments/{id}/withdraw"


def still_on(read, assignment) -> bool:
    return read(lambda s: s.get(Assignment, assignment.id)) is not None


def test_withdrawal_is_allowed_until_the_configured_cutoff_to_the_second(
    three_hour_cutoff, confirmed_place, read
):
    client, shift, assignment = confirmed_place
    one_second_before = shift.starts_at - timedelta(hours=3, seconds=1)
    with time_machine.travel(one_second_before, tick=False):
        action = WITHDRAW_BUTTON.format(id=assignment.id)
        assert form_on(client, "/me", action).buttons(), "the button shows before the cut-off"
        response = submit_form(client, "/me", form=action, htmx=True)
    assert response.status_code == 200
    assert not still_on(read, assignment)


def test_withdrawal_is_refused_at_the_exact_cutoff(three_hour_cutoff, confirmed_place, read):
    client, shift, assignment = confirmed_place
    with time_machine.travel(shift.starts_at - timedelta(hours=3), tick=False):
        page = client.get("/me").get_data(as_text=True)
        assert WITHDRAW_BUTTON.format(id=assignment.id) not in page
        response = client.post(WITHDRAW_BUTTON.format(id=assignment.id), headers=HTMX)
    assert response.status_code == 409
    assert "3 小时" in response.get_data(as_text=True)
    assert still_on(read, assignment) and read(lambda s: s.get(Assignment, assignment.id).state) == (
        AssignmentState.CONFIRMED
    )
