"""The access log as the admin reads it: newest view first."""

import re
from datetime import timedelta

import time_machine

from scheduler.database import utcnow
from scheduler.models import Role


def viewers_in_log_order(client) -> list[str]:
    html = client.get("/beneficiaries/access-log").get_data(as_text=True)
    return re.findall(r'<p class="muted">[\d: -]+ · (\S+)', html)


def test_the_access_log_lists_views_newest_first_and_same_instant_views_latest_recorded_first(
    auth, make_beneficiary
):
    resident = make_beneficiary()
    admin = auth.login(Role.ADMIN, display_name="书记")
    first, second, late = (
        auth.login(Role.COORDINATOR, display_name=name) for name in ("先看的", "后看的", "补记的")
    )
    signed_in = utcnow().replace(microsecond=0)
    with time_machine.travel(signed_in + timedelta(minutes=2), tick=False):
        first.get(f"/beneficiaries/{resident.id}")
        second.get(f"/beneficiaries/{resident.id}")
    # Written last, but the view happened a minute earlier: the log goes by when views happened.
    with time_machine.travel(signed_in + timedelta(minutes=1), tick=False):
        late.get(f"/beneficiaries/{resident.id}")

    assert viewers_in_log_order(admin) == ["后看的", "先看的", "补记的"]
