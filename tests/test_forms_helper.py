"""The form-driving helper sends what a browser would, and refuses what no browser could."""

import pytest

from scheduler.models import Role
from tests.conftest import TEST_PASSWORD
from tests.forms import fill, read_forms, submit_form

PAGE = """
<form id="outside" action="/other" method="post"><input name="other"></form>
<form id="f" action="/save" method="post">
  <input type="hidden" name="csrf_token" value="tok">
  <input name="title" value="旧">
  <input type="checkbox" name="active" value="y">
  <input type="checkbox" name="published" value="y" checked>
  <input type="radio" name="scope" value="one" checked><input type="radio" name="scope" value="later">
  <select name="kind">
    <option value="">—</option><option value="a">A</option><option value="b" selected>B</option>
  </select>
  <select name="first"><option value="1">1</option><option value="2">2</option></select>
  <textarea name="note">
第一行</textarea>
  <input name="locked" value="x" disabled>
  <input type="submit" name="go" value="保存">
</form>
"""


def the_form():
    return next(form for form in read_forms(PAGE) if form.attrs.get("id") == "f")


def test_collects_what_a_browser_sends():
    assert the_form().successful_controls() == [
        ("csrf_token", "tok"),
        ("title", "旧"),
        ("published", "y"),
        ("scope", "one"),
        ("kind", "b"),
        ("first", "1"),
        ("note", "第一行"),
    ]


def test_changes_only_what_a_person_types():
    pairs = fill(the_form(), {"title": "新", "active": True, "published": False, "scope": "later"})
    assert ("title", "新") in pairs and ("active", "y") in pairs and ("scope", "later") in pairs
    assert ("published", "y") not in pairs and ("title", "旧") not in pairs


@pytest.mark.parametrize(
    "changes",
    [{"missing": "x"}, {"kind": "c"}, {"scope": "all"}, {"locked": "y"}, {"active": "n"}],
)
def test_refuses_what_the_page_does_not_offer(changes):
    with pytest.raises(AssertionError):
        fill(the_form(), changes)


def test_signs_in_through_the_rendered_form(client, make_user):
    user = make_user(Role.VOLUNTEER)
    response = submit_form(client, "/auth/login", {"username": user.username, "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert client.get("/me").status_code == 200


def test_a_file_goes_only_into_a_file_input_of_a_multipart_form():
    from tests.forms import attach_files

    upload_page = """
    <form id="up" action="/import" method="post" enctype="multipart/form-data">
      <input type="file" name="file"></form>
    <form id="plain" action="/import" method="post"><input type="file" name="file"></form>
    """
    forms = {form.attrs["id"]: form for form in read_forms(upload_page)}
    ((name, (stream, filename)),) = attach_files(forms["up"], {"file": (b"data", "a.csv")})
    assert (name, stream.read(), filename) == ("file", b"data", "a.csv")
    with pytest.raises(AssertionError, match="no file input 'photo'"):
        attach_files(forms["up"], {"photo": (b"data", "a.png")})
    with pytest.raises(AssertionError, match="multipart"):
        attach_files(forms["plain"], {"file": (b"data", "a.csv")})
    assert ("file", "") not in forms["up"].successful_controls()
