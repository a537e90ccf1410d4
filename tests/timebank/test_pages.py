"""The time bank as people see it: /me, the station's ledger and its files, redeeming and
rates through their forms, the public rules page and the monthly report's figures."""

import csv
import io
import re
from datetime import datetime, time, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from scheduler.database import utcnow
from scheduler.models import CreditEntry, EntryKind, Role
from tests.conftest import form_error
from tests.forms import submit_form
from tests.shifts.conftest import SHANGHAI, local

RULES = "/s/haiyuan-lidu/time-bank"


def test_me_shows_the_balance_and_the_latest_entries(volunteer_client, credit, make_user):
    # Bug caught: the balance of someone else, or the history missing redemptions.
    me = volunteer_client.user
    credit(me, 250)
    credit(me, -100, EntryKind.REDEEM, note="给母亲理发")
    credit(make_user(), 900)
    page = volunteer_client.get("/me").get_data(as_text=True)
    assert "余额：1.5 个时间币" in page
    assert "给母亲理发" in page and "-1" in page and "+2.5" in page
    assert RULES in page


def test_me_shows_a_balance_of_0_before_any_entry(volunteer_client):
    assert "余额：0 个时间币" in volunteer_client.get("/me").get_data(as_text=True)


def test_ledger_lists_every_entry_past_page_one_in_constant_queries(
    coordinator_client, credit, make_user, count_queries, past_shift, place, read
):
    # Bug caught: one query per row (the source's shift or the recorder) on a big station.
    people = [make_user() for _ in range(3)]
    credit(people[0], 100)
    with count_queries() as few:
        assert coordinator_client.get("/timebank/").status_code == 200
    shift = past_shift()
    assignments = [place(shift, person) for person in people[:2]]
    for index in range(120):
        credit(people[index % 3], 100, source_kind="assignment", source_id=assignments[index % 2].id)
    with count_queries() as many:
        page = coordinator_client.get("/timebank/?page=2").get_data(as_text=True)
    assert many.count == few.count + 1, many.statements  # + the shifts of the entries' sources
    assert "第 2 / 3 页" in page and "驿站值班" in page


def ledger_rows(client) -> list[tuple[str, str, str]]:
    """(who, what kind, credits) of each row of the station's ledger, as staff read it."""
    html = client.get("/timebank/").get_data(as_text=True)
    return re.findall(
        r'<strong>(\S+)</strong> · (\S+)\s.*?<strong class="credits">([^<]+)</strong>', html, re.S
    )


@pytest.mark.parametrize(
    "hours, rate, earned",
    [(8, "2.5", "+20"), (1, "0.01", "+0.01"), (1, "100", "+100")],
    ids=["8 h at 2.5 is exactly 20", "one hundredth is an earning", "the top rate"],
)
def test_attendance_earns_hours_times_the_rate_to_the_hundredth_and_a_no_show_nothing(
    auth, make_shift, place, make_user, hours, rate, earned
):
    # Bug caught: a slightly wrong divisor hidden by rounding, a tiny earning listed as a correction,
    # or a no-show credited a few hundredths at a high rate.
    admin = auth.login(Role.ADMIN)
    assert submit_form(admin, "/timebank/rates", {"shift_duty": rate}).status_code == 302
    shift = make_shift(starts_at=utcnow() - timedelta(hours=hours + 1), hours=hours)
    came, absent = make_user(display_name="张阿姨"), make_user(display_name="李叔")
    place(shift, came)
    place(shift, absent)
    submit_form(admin, f"/shifts/{shift.id}/attendance", {"attended": [str(came.id)]})
    assert ledger_rows(admin) == [("张阿姨", "存入", earned)]


def test_ledger_is_for_staff_only(volunteer_client, client):
    # Bug caught: a volunteer reading everyone's credits.
    assert volunteer_client.get("/timebank/").status_code == 403
    assert client.get("/timebank/").status_code == 302


def test_ledger_downloads_hold_every_entry(coordinator_client, credit, make_user):
    # Bug caught: the file cut to the first page, or a formula run from a note.
    person = make_user(display_name="李阿姨")
    credit(person, 300)
    credit(person, -100, EntryKind.REDEEM, note="=1+1")
    book = load_workbook(io.BytesIO(coordinator_client.get("/timebank/ledger.xlsx").data))
    rows = list(book.active.iter_rows(values_only=True))
    assert [row[1:4] for row in rows[1:]] == [("李阿姨", "存入", 3), ("李阿姨", "已兑换", -1)]
    text = coordinator_client.get("/timebank/ledger.csv").data.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[2][1:5] == ["李阿姨", "已兑换", "-1.0", "'=1+1"]


def test_redeeming_through_the_form(coordinator_client, credit, make_user, read):
    # Bug caught: a refusal losing what staff typed, or a redemption without its purpose.
    person = make_user(display_name="老王")
    credit(person, 200)
    refused = submit_form(
        coordinator_client,
        "/timebank/redeem",
        {"user_id": str(person.id), "credits": "3", "what_for": "理发"},
    )
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "老王 只有 2 个时间币" in form_error(html, "credits")
    assert 'value="理发"' in html
    done = submit_form(
        coordinator_client,
        "/timebank/redeem",
        {"user_id": str(person.id), "credits": "1.5", "what_for": "理发"},
    )
    assert done.status_code == 302
    entries = read(
        lambda s: s.execute(
            sa.select(CreditEntry.kind, CreditEntry.hundredths, CreditEntry.note).order_by(CreditEntry.id)
        ).all()
    )
    assert entries[-1] == (EntryKind.REDEEM, -150, "理发")


def test_admin_sets_rates_and_the_public_rules_page_shows_them(auth, client, station):
    # Bug caught: the cached rules page still showing the old rate after the admin changed it.
    admin = auth.login(Role.ADMIN)
    before = client.get(RULES)
    assert before.status_code == 200 and "<td>探访</td>" in before.get_data(as_text=True)
    tag = before.headers["ETag"]
    assert client.get(RULES).headers["ETag"] == tag, "unchanged data, same page"
    answer = submit_form(admin, "/timebank/rates", {"shift_activity": "2"})
    assert answer.status_code == 302
    after = client.get(RULES)
    assert after.headers["ETag"] != tag
    assert ">2</td>" in after.get_data(as_text=True)


def test_saving_unchanged_rates_keeps_the_public_page(auth, client):
    # Bug caught: every save (or every ledger entry) invalidating the station's public pages.
    admin = auth.login(Role.ADMIN)
    tag = client.get(RULES).headers["ETag"]
    submit_form(admin, "/timebank/rates", {})
    assert client.get(RULES).headers["ETag"] == tag


def test_a_bad_rate_is_refused_next_to_its_field(auth):
    # Bug caught: a negative rate stored, taking credit from people.
    admin = auth.login(Role.ADMIN)
    answer = submit_form(admin, "/timebank/rates", {"shift_duty": "-1"})
    assert answer.status_code == 422
    assert form_error(answer.get_data(as_text=True), "shift_duty")


def test_only_the_admin_sets_rates(coordinator_client):
    assert coordinator_client.get("/timebank/rates").status_code == 403


def test_the_menu_links_the_rules(client, station):
    # Bug caught: a rules page nobody can find.
    assert RULES in client.get("/s/haiyuan-lidu/").get_data(as_text=True)


def test_monthly_report_shows_earned_redeemed_and_outstanding(admin_client, credit, make_user):
    # Bug caught: earnings counted gross of reversals, or last month's entries in this month.
    person = make_user()
    first_of_month = datetime.now(SHANGHAI).date().replace(day=1)
    last_month = local(first_of_month - timedelta(days=3), time(12, 0))
    credit(person, 400, created_at=last_month)
    credit(person, 300)
    credit(person, -100, EntryKind.REVERSAL)
    credit(person, -250, EntryKind.REDEEM, note="理发")
    html = admin_client.get("/reports/").get_data(as_text=True)
    section = html[html.index('id="time-bank-title"') :]
    figures = [cell.split("<")[0] for cell in section.split('class="number">')[1:4]]
    assert figures == ["2", "2.5", "3.5"]
