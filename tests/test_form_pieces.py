"""The form pieces every area shares (scheduler/forms.py), where a page cannot reach an edge."""

import pytest

from scheduler.forms import enum_or_none
from scheduler.models import Kind


def test_an_enum_select_reads_blank_as_none_and_refuses_what_is_not_a_member():
    kind = enum_or_none(Kind)
    assert kind(None) is None
    assert kind("") is None
    assert kind("   ") is None  # a tampered select; Optional() lets it through
    assert kind(Kind.BUILDING_HEAD) is Kind.BUILDING_HEAD  # the field's own default
    assert kind(" building_head ") is Kind.BUILDING_HEAD
    with pytest.raises(ValueError):
        kind("None")
