"""/me reads every date and time one way (3月2日周一 09:00), from one filter."""

# The visit factories are fixtures of tests/factories_visits, imported here; test arguments name them.
# ruff: noqa: F811

import re
from datetime import time

from scheduler.models import AssignmentState, TaskState
from tests.factories_visits import make_beneficiary, make_task, station_admin  # noqa: F401
from tests.shifts.conftest import days_from_now

# The other formats /me used: 12-01 周二 09:00 (tasks), 12/1 09:00 (deadlines), 2026-12-01 09:00.
OTHER_FORMATS = re.compile(
    r"\b\d{2}-\d{2} \w+ \d{2}:\d{2}|\b\d{1,2}/\d{1,2} \d{2}:\d{2}|\d{4}-\d{2}-\d{2} \d{2}:\d{2}"
)
ONE_FORMAT = re.compile(r"\d{1,2}月\d{1,2}日周[一二三四五六日] \d{2}:\d{2}")


def test_me_uses_one_date_format_for_shifts_tasks_and_deadlines(
    auth, make_user, make_shift, place, make_task
):
    """Catches: shifts, task windows and the give-back deadline each printing dates their own way."""
    volunteer = make_user(display_name="王秀英")
    place(make_shift(starts_at=days_from_now(5, time(9, 0))), volunteer, AssignmentState.CONFIRMED)
    make_task(TaskState.ACCEPTED, volunteer)
    html = auth.login(user=volunteer).get("/me").get_data(as_text=True)
    main = html.split("<main", 1)[1].split("</main>", 1)[0]
    assert OTHER_FORMATS.findall(main) == []
    assert len(ONE_FORMAT.findall(main)) >= 3, "the shift, the task window and the deadline"
