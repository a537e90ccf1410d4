"""Every create and edit form renders every field its form class reads.

A field the page does not render is never sent, and WTForms then takes its default: a
checkbox becomes "off", a multi-choice becomes empty. That is how new accounts and new
residents were once saved switched off. This test opens each create/edit page, takes the
form object the template was given, and checks that the page's form holds each of its
fields (or says the field is deliberately absent from that form class).
"""

import pytest
from flask import template_rendered

from scheduler.models import Role
from tests.factories_visits import make_beneficiary  # noqa: F401
from tests.forms import read_forms
from tests.shifts.conftest import make_menu_service, make_shift  # noqa: F401


@pytest.fixture
def records(make_user, make_beneficiary, make_shift, make_menu_service, station):  # noqa: F811
    return {
        "user": make_user(Role.VOLUNTEER),
        "beneficiary": make_beneficiary(),
        "shift": make_shift(),
        "service": make_menu_service("剪纸兴趣班"),
        "station": station,
    }


PAGES = [
    (Role.ADMIN, "/people/new"),
    (Role.ADMIN, "/people/{user.id}/edit"),
    (Role.ADMIN, "/people/station"),
    (Role.SUPERADMIN, "/people/stations/new"),
    (Role.SUPERADMIN, "/people/stations/{station.id}/edit"),
    (Role.SUPERADMIN, "/people/stations/{station.id}/admins/new"),
    (Role.ADMIN, "/beneficiaries/new"),
    (Role.ADMIN, "/beneficiaries/{beneficiary.id}/edit"),
    (Role.ADMIN, "/menu/services/new"),
    (Role.ADMIN, "/menu/services/{service.id}/edit"),
    (Role.ADMIN, "/shifts/new"),
    (Role.ADMIN, "/shifts/series/new"),
    (Role.ADMIN, "/shifts/{shift.id}/edit"),
    (Role.ADMIN, "/tasks/new"),
    (Role.ADMIN, "/tasks/check-all/new"),
    (Role.ADMIN, "/requests/new"),
    (Role.ADMIN, "/people/{user.id}/board"),
    (Role.VOLUNTEER, "/me/board"),
]


# Fields a page leaves out on purpose. Each keeps its default when absent (a radio or a text
# field); a checkbox or a multi-choice could not be listed here, since absent means "none".
ABSENT_BY_DESIGN = {
    ("ShiftForm", "scope"): "asked only for a shift of a weekly series; absent means this shift only",
    (
        "ProxyRequestForm",
        "website",
    ): "the bot trap of the residents' own form; staff filing for a resident never see it",
    ("CheckAllForm", "apply"): "the button that writes appears on the preview only; absent means preview",
}
LOSES_DATA_WHEN_ABSENT = ("BooleanField", "SelectMultipleField", "MultiCheckboxField")
# Boxes that ask for an action ("remove the saved secret"), shown only when there is
# something to act on: absent means no action, so nothing is lost.
ACTION_BOXES = {
    ("StationChannelsForm", f"clear_{name}")
    for name in ("wecom_webhook", "dingtalk_webhook", "dingtalk_secret", "webhook_url", "webhook_secret")
}


def rendered_form_objects(app, client, url):
    """The WTForms forms the page's templates were given, and the page's HTML."""
    forms = []

    def capture(sender, template, context, **extra):
        for value in context.values():
            if hasattr(value, "_fields") and hasattr(value, "validate") and value not in forms:
                forms.append(value)

    with template_rendered.connected_to(capture, app):
        response = client.get(url)
    assert response.status_code == 200, url
    return forms, response.get_data(as_text=True)


@pytest.mark.parametrize("role, template", PAGES)
def test_every_field_of_a_create_or_edit_form_is_on_the_page(app, auth, records, role, template):
    client = auth.login(role, station=records["station"] if role != Role.SUPERADMIN else None)
    url = template.format(**records)
    forms, html = rendered_form_objects(app, client, url)
    posted = [form for form in forms if getattr(form.meta, "csrf", False)]
    assert posted, f"{url} renders no form that posts"
    names_on_page = set().union(*(form.names for form in read_forms(html)))
    for form in posted:
        kind = type(form).__name__
        missing = [
            field.name
            for field in form
            if field.name not in names_on_page
            and (kind, field.name) not in ABSENT_BY_DESIGN
            and (kind, field.name) not in ACTION_BOXES
        ]
        assert missing == [], f"{url}: {kind} reads {missing} that the page never sends"
        for (form_kind, name), _reason in ABSENT_BY_DESIGN.items():
            if form_kind == kind:
                assert form[name].type not in LOSES_DATA_WHEN_ABSENT
