"""First guesses for turning a resident's request into a task: staff check them and submit.

Residents write what they need in their own words ("明天上午", "2单元301"); these
turn that into the kind, window and address the task form asks for. A guess that
finds nothing falls back to the plain default, never to an error.
"""

import re
from datetime import date, datetime, time, timedelta

from scheduler.models import TaskKind

WINDOW_LENGTH = timedelta(hours=2)
MORNING = time(9)
# A window for later today must leave the volunteer at least this long to get ready.
NOTICE = timedelta(hours=1)

# Checked in order, on the service's title: the first hint found decides.
KIND_HINTS = (
    (TaskKind.MEDICINE, ("药", "medicine")),
    (TaskKind.DISINFECTION, ("消杀", "消毒", "disinfect")),
    (TaskKind.REPAIR, ("修", "repair")),
    (TaskKind.VISIT, ("探访", "看望", "visit")),
)

PARTS_OF_DAY = (  # "afternoon" before "noon", which it contains
    (time(9), ("上午", "早上", "早晨", "morning")),
    (time(14), ("下午", "afternoon")),
    (time(11, 30), ("中午", "noon")),
    (time(18, 30), ("晚上", "傍晚", "今晚", "evening")),
)
DAYS_FROM_TODAY = (  # longer words first: 大后天 contains 后天
    (3, ("大后天",)),
    (2, ("后天",)),
    (1, ("明天", "明日", "tomorrow")),
    (0, ("今天", "今日", "今晚", "today")),
)
WEEKDAY = re.compile(r"(下)?(?:周|星期|礼拜)([一二三四五六日天])")
WEEKDAY_NUMBERS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
WEEKEND = re.compile(r"(下)?(?:周末|weekend)")
NEXT_WEEK = re.compile(r"下(?:周|星期|礼拜)")
WORKDAY = ("工作日", "weekday")
UNIT_THEN_ROOM = re.compile(r"\s*(\d+)\s*单元\s*(.*?)\s*")


def kind_for_service(title: str) -> TaskKind:
    title = title.lower()
    for kind, hints in KIND_HINTS:
        if any(hint in title for hint in hints):
            return kind
    return TaskKind.OTHER


def split_unit_room(unit_room: str) -> tuple[str, str]:
    """ "2单元301" → ("2单元", "301"), as the register of residents writes them."""
    match = UNIT_THEN_ROOM.fullmatch(unit_room)
    if match is None:
        return "", unit_room.strip()
    return f"{match.group(1)}单元", match.group(2)


def _next_weekday(after: date, weekday: int) -> date:
    """The first date after ``after`` that falls on ``weekday`` (Monday is 0)."""
    return after + timedelta(days=(weekday - after.weekday() - 1) % 7 + 1)


def _day_asked_for(text: str, today: date) -> date | None:
    for days, words in DAYS_FROM_TODAY:
        if any(word in text for word in words):
            return today + timedelta(days=days)
    next_monday = _next_weekday(today, 0)
    if match := WEEKDAY.search(text):
        weekday = WEEKDAY_NUMBERS[match.group(2)]
        return next_monday + timedelta(days=weekday) if match.group(1) else _next_weekday(today, weekday)
    if match := WEEKEND.search(text):
        return next_monday + timedelta(days=5) if match.group(1) else _next_weekday(today, 5)
    if NEXT_WEEK.search(text):
        return next_monday
    if any(word in text for word in WORKDAY):
        tomorrow = today + timedelta(days=1)
        return tomorrow if tomorrow.weekday() < 5 else next_monday
    return None


def window_for_preference(preferred_time: str, now: datetime) -> tuple[datetime, datetime]:
    """A two-hour window matching what the resident wrote, in the local time of ``now`` (naive).

    "明天上午" is tomorrow 9:00–11:00, "下周一" next Monday morning, "下午" this afternoon
    if there is still time, else tomorrow's; anything else tomorrow morning.
    """
    text = preferred_time.lower()
    today = now.date()
    start_time = next((start for start, words in PARTS_OF_DAY if any(word in text for word in words)), None)
    day = _day_asked_for(text, today)
    if day is None:
        later_today = datetime.combine(today, start_time) if start_time else None
        day = today if later_today and later_today >= now + NOTICE else today + timedelta(days=1)
    start = datetime.combine(day, start_time or MORNING)
    return start, start + WINDOW_LENGTH
