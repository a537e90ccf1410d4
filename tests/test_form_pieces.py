"""The form pieces every area shares (scheduler/forms.py), where a page cannot reach an edge."""

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import Form, SelectChoice, SelectField

from scheduler.forms import ListedChoice, ListedOrEmpty, PreviewedIds, enum_or_none, mask_phone
from scheduler.inputs import MAX_ID
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


class ApplyForm(Form):
    previewed = PreviewedIds()


def previewed(*sent: str):
    return ApplyForm(MultiDict([("previewed", value) for value in sent])).previewed.data


@pytest.mark.parametrize("sent", [(), ("",), ("  ",)], ids=["absent", "empty", "blank"])
def test_previewed_ids_are_none_before_a_preview(sent):
    assert previewed(*sent) is None


@pytest.mark.parametrize(
    "sent, ids",
    [
        ("3 1 3", {1, 3}),
        (f"0 1 {MAX_ID} {MAX_ID + 1}", {1, MAX_ID}),
        ("-2 x7 2.5 abc 9", {9}),
        ("0 abc", set()),
        ("1 ²", {1}),  # a digit int() cannot read ("²".isdigit()) dropped, not the whole list
    ],
)
def test_previewed_ids_keep_only_ids_a_record_can_have(sent, ids):
    assert previewed(sent) == ids


class BuildingForm(Form):
    listed = SelectField(
        choices=[SelectChoice("", "— 请选择 —"), SelectChoice("7", "7号楼")],
        validate_choice=False,
        validators=[ListedChoice("选楼")],
    )
    listed_or_empty = SelectField(
        choices=[SelectChoice("", "全部"), SelectChoice("7", "7号楼")],
        validate_choice=False,
        validators=[ListedOrEmpty("选楼")],
    )


@pytest.mark.parametrize(
    "sent, refused",
    [("7", []), ("", ["listed"]), ("8", ["listed", "listed_or_empty"])],
    ids=["offered", "the prompt", "not offered"],
)
def test_the_empty_prompt_is_no_choice_where_one_is_required(sent, refused):
    form = BuildingForm(MultiDict({"listed": sent, "listed_or_empty": sent}))
    form.validate()
    assert sorted(form.errors) == refused


@pytest.mark.parametrize(
    "phone, masked",
    [("13812345678", "138****5678"), ("0101234567", "010****4567"), ("123456789", "*********"), ("1", "*")],
)
def test_a_phone_shows_its_ends_only_while_three_digits_stay_hidden(phone, masked):
    assert mask_phone(phone) == masked
