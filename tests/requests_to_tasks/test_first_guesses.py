"""First guesses from what the resident wrote: kind, window and address for the task form."""

from datetime import datetime

import pytest

from scheduler.models import TaskKind
from scheduler.tasks.from_request import kind_for_service, split_unit_room, window_for_preference

THURSDAY_10AM = datetime(2026, 11, 26, 10, 0)


@pytest.mark.parametrize(
    "preferred_time, start",
    [
        ("明天上午", datetime(2026, 11, 27, 9)),
        ("下午", datetime(2026, 11, 26, 14)),
        ("晚上", datetime(2026, 11, 26, 18, 30)),
        ("上午", datetime(2026, 11, 27, 9)),  # this morning is nearly over
        ("后天下午", datetime(2026, 11, 28, 14)),
        ("大后天", datetime(2026, 11, 29, 9)),
        ("下周一上午", datetime(2026, 11, 30, 9)),
        ("星期天", datetime(2026, 11, 29, 9)),
        ("周四", datetime(2026, 12, 3, 9)),  # today is Thursday: the next one
        ("周末都可以", datetime(2026, 11, 28, 9)),
        ("下周末", datetime(2026, 12, 5, 9)),
        ("下周", datetime(2026, 11, 30, 9)),
        ("工作日", datetime(2026, 11, 27, 9)),
        ("weekday mornings", datetime(2026, 11, 27, 9)),
        ("Tomorrow afternoon", datetime(2026, 11, 27, 14)),
        ("", datetime(2026, 11, 27, 9)),
        ("随时", datetime(2026, 11, 27, 9)),
    ],
)
def test_the_window_follows_the_residents_words(preferred_time, start):
    begins, ends = window_for_preference(preferred_time, THURSDAY_10AM)
    assert begins == start and (ends - begins).total_seconds() == 2 * 3600


def test_on_friday_a_working_day_means_monday():
    friday = datetime(2026, 11, 27, 10, 0)
    assert window_for_preference("工作日", friday)[0] == datetime(2026, 11, 30, 9)


@pytest.mark.parametrize(
    "unit_room, parts",
    [
        ("2单元301", ("2单元", "301")),
        (" 1 单元 502 ", ("1单元", "502")),
        ("3单元", ("3单元", "")),
        ("12单元1203", ("12单元", "1203")),
        ("东门平房", ("", "东门平房")),
        ("", ("", "")),
    ],
)
def test_unit_and_room_are_split_as_the_register_writes_them(unit_room, parts):
    assert split_unit_room(unit_room) == parts


@pytest.mark.parametrize(
    "title, kind",
    [
        ("送药上门", TaskKind.MEDICINE),
        ("楼道消杀", TaskKind.DISINFECTION),
        ("上门消毒", TaskKind.DISINFECTION),
        ("水电小修", TaskKind.REPAIR),
        ("上门探访", TaskKind.VISIT),
        ("陪同就医", TaskKind.OTHER),
        ("Medicine delivery", TaskKind.MEDICINE),
    ],
)
def test_the_kind_is_guessed_from_the_service(title, kind):
    assert kind_for_service(title) == kind
