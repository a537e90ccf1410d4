"""The outbox: one delivery per chosen channel, written with its cause, retried with
backoff, then failed; never sent twice; quiet hours respected unless urgent."""

from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import Channel, Delivery, DeliveryState, Notice, Role
from scheduler.outbox.delivery import SENDING_LEASE, claim, deliver_due
from scheduler.outbox.messages import Message
from scheduler.outbox.queue import after_quiet_hours
from tests.shifts.conftest import SHANGHAI


def test_notify_writes_one_delivery_per_channel_the_person_and_station_have(
    app, station, make_user, peer, set_channels, choose, tell, deliveries
):
    set_channels(station, wecom_webhook=f"{peer.url}/w")  # no DingTalk robot, no webhook, no SMTP
    volunteer = make_user(Role.VOLUNTEER)
    choose(volunteer, by_wecom=True, by_dingtalk=True, by_webhook=True, by_email=True, email="a@b.cn")
    tell(volunteer, Message("shift.assigned", "短句", ref=9))

    rows = deliveries()
    assert [(row.channel, row.state) for row in rows] == [
        (Channel.INAPP, DeliveryState.SENT),
        (Channel.WECOM, DeliveryState.QUEUED),
    ]
    assert rows[1].key == f"shift.assigned:9:{volunteer.id}:wecom"
    assert peer.received == []  # nothing leaves while the request runs


def test_a_notice_with_a_reference_is_told_once(
    app, station, make_user, peer, set_channels, choose, tell, deliveries
):
    set_channels(station, wecom_webhook=f"{peer.url}/w")
    choose(volunteer := make_user(Role.VOLUNTEER), by_wecom=True)
    tell(volunteer, Message("shift.evening", "明天值班", ref=5))
    tell(volunteer, Message("shift.evening", "明天值班", ref=5))
    assert len(deliveries(Channel.WECOM)) == 1
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Notice)) == 1


def test_the_key_is_unique_in_the_database(app, station, make_user):
    volunteer = make_user(Role.VOLUNTEER)
    row = dict(
        station_id=station.id, key="k", event="e", channel=Channel.WECOM, text="t", user_id=volunteer.id
    )
    with app.app_context():
        db.session.add(Delivery(**row))
        db.session.commit()
        db.session.add(Delivery(**row))
        try:
            db.session.commit()
        except sa.exc.IntegrityError:
            db.session.rollback()
        else:
            raise AssertionError("a second delivery with the same key was stored")


def test_the_delivery_is_rolled_back_with_its_cause(
    app, station, make_user, peer, set_channels, choose, deliveries
):
    from scheduler.models import User
    from scheduler.notices import notify

    set_channels(station, wecom_webhook=f"{peer.url}/w")
    choose(volunteer := make_user(Role.VOLUNTEER), by_wecom=True)
    with app.test_request_context():
        notify(db.session.get(User, volunteer.id), "x", "/me", Message("e", "y", ref=1))
        db.session.rollback()  # the event was refused
    assert deliveries() == []


def test_server_errors_are_retried_with_growing_waits_then_fail(
    app, station, make_user, peer, set_channels, choose, tell, deliveries
):
    app.config.update(NOTICE_MAX_ATTEMPTS=3, NOTICE_RETRY_SECONDS=60)
    set_channels(station, wecom_webhook=f"{peer.url}/w")
    choose(volunteer := make_user(Role.VOLUNTEER), by_wecom=True)
    peer.answer(500, 500, 500, 500)
    tell(volunteer)

    waits = []
    for _attempt in range(3):
        with app.app_context():
            before = utcnow()
            deliver_due()
            delivery = db.session.scalar(sa.select(Delivery).where(Delivery.channel == Channel.WECOM))
            if delivery.state == DeliveryState.QUEUED:
                waits.append(round((delivery.next_attempt_at - before).total_seconds() / 60))
                delivery.next_attempt_at = utcnow() - timedelta(seconds=1)  # time passes
                db.session.commit()
    assert waits == [1, 2]  # minutes: doubled after each failure
    [delivery] = deliveries(Channel.WECOM)
    assert (delivery.state, delivery.attempts, delivery.last_error) == (DeliveryState.FAILED, 3, "HTTP 500")
    assert [attempt.ok for attempt in delivery.attempt_log] == [False, False, False]
    assert len(peer.received) == 3
    with app.app_context():
        assert deliver_due().sent == 0  # failed stays failed: nothing more is sent
    assert len(peer.received) == 3


def test_a_retry_that_succeeds_sends_once(
    app, station, make_user, peer, set_channels, choose, tell, deliveries
):
    app.config.update(NOTICE_RETRY_SECONDS=0)
    set_channels(station, dingtalk_webhook=f"{peer.url}/d")
    choose(volunteer := make_user(Role.VOLUNTEER), by_dingtalk=True)
    peer.answer(502)
    tell(volunteer)
    with app.app_context():
        tally = deliver_due()
        tally_again = deliver_due()
    assert (tally.sent, tally.retrying, tally_again.sent) == (1, 1, 0)
    assert len(peer.delivered()) == 1
    [delivery] = deliveries(Channel.DINGTALK)
    assert delivery.state == DeliveryState.SENT and [a.ok for a in delivery.attempt_log] == [False, True]


def test_timeouts_are_retried_then_fail(
    app, station, make_user, peer, set_channels, choose, tell, deliveries
):
    app.config.update(NOTICE_MAX_ATTEMPTS=2, NOTICE_RETRY_SECONDS=0, NOTICE_TIMEOUT_SECONDS=0.3)
    set_channels(station, webhook_url=f"{peer.url}/slow")
    choose(volunteer := make_user(Role.VOLUNTEER), by_webhook=True)
    peer.answer((200, None, 1.0), (200, None, 1.0))
    tell(volunteer)
    with app.app_context():
        tally = deliver_due()
    assert (tally.sent, tally.retrying, tally.failed) == (0, 1, 1)
    [delivery] = deliveries(Channel.WEBHOOK)
    assert delivery.state == DeliveryState.FAILED
    assert all("timed out" in attempt.result for attempt in delivery.attempt_log), delivery.attempt_log[
        0
    ].result


def test_connection_refused_is_retried_then_fails(
    app, station, make_user, refused_url, set_channels, choose, tell, deliveries
):
    app.config.update(NOTICE_MAX_ATTEMPTS=3, NOTICE_RETRY_SECONDS=0)
    set_channels(station, wecom_webhook=refused_url)
    choose(volunteer := make_user(Role.VOLUNTEER), by_wecom=True)
    tell(volunteer)
    with app.app_context():
        tally = deliver_due()
    assert (tally.retrying, tally.failed) == (2, 1)
    [delivery] = deliveries(Channel.WECOM)
    assert delivery.attempts == 3 and "ConnectionRefusedError" in delivery.last_error


def test_a_rejected_address_fails_at_once(
    app, station, make_user, peer, set_channels, choose, tell, deliveries
):
    set_channels(station, wecom_webhook=f"{peer.url}/w")
    choose(volunteer := make_user(Role.VOLUNTEER), by_wecom=True)
    peer.answer(404)
    tell(volunteer)
    with app.app_context():
        assert deliver_due().failed == 1
    assert deliveries(Channel.WECOM)[0].attempts == 1


def test_errors_never_show_the_robot_address(
    app, station, make_user, refused_url, set_channels, choose, tell, deliveries
):
    app.config.update(NOTICE_MAX_ATTEMPTS=1)
    set_channels(station, wecom_webhook=refused_url + "?key=SECRETKEY")
    choose(volunteer := make_user(Role.VOLUNTEER), by_wecom=True)
    tell(volunteer)
    with app.app_context():
        deliver_due()
    [delivery] = deliveries(Channel.WECOM)
    assert "SECRETKEY" not in delivery.last_error and "127.0.0.1" not in delivery.last_error


def test_a_claimed_delivery_is_not_claimed_again(app, station, make_user, peer, set_channels, choose, tell):
    set_channels(station, wecom_webhook=f"{peer.url}/w")
    choose(volunteer := make_user(Role.VOLUNTEER), by_wecom=True)
    tell(volunteer)
    with app.app_context():
        first = claim(utcnow())
        second = claim(utcnow())
    assert len(first) == 1 and second == []


def test_a_delivery_left_sending_by_a_dead_worker_fails_instead_of_going_twice(
    app, station, make_user, peer, set_channels, choose, tell, deliveries
):
    set_channels(station, wecom_webhook=f"{peer.url}/w")
    choose(volunteer := make_user(Role.VOLUNTEER), by_wecom=True)
    tell(volunteer)
    with app.app_context():
        [delivery_id] = claim(utcnow())
        db.session.get(Delivery, delivery_id).claimed_at = utcnow() - SENDING_LEASE - timedelta(seconds=1)
        db.session.commit()
        deliver_due()
    assert peer.received == []
    [delivery] = deliveries(Channel.WECOM)
    assert delivery.state == DeliveryState.FAILED and "may or may not" in delivery.last_error


def test_quiet_hours_hold_a_notice_until_morning_but_not_an_urgent_one(
    app, station, make_user, peer, set_channels, choose, tell, deliveries
):
    set_channels(station, wecom_webhook=f"{peer.url}/w")
    volunteer = make_user(Role.VOLUNTEER)
    # Quiet all day long except one minute ago: whatever the clock, now is quiet.
    now_local = datetime.now(SHANGHAI)
    start = (now_local - timedelta(minutes=1)).time().replace(second=0, microsecond=0)
    end = (now_local - timedelta(minutes=2)).time().replace(second=0, microsecond=0)
    choose(volunteer, by_wecom=True, quiet_start=start, quiet_end=end)
    tell(volunteer, Message("e", "普通", ref=1))
    tell(volunteer, Message("flag", "紧急", ref=2, urgent=True))

    with app.app_context():
        assert deliver_due().sent == 1
    assert [request.json["text"]["content"].split("\n")[0] for request in peer.received] == ["紧急"]
    held = next(d for d in deliveries(Channel.WECOM) if not d.urgent)
    assert held.state == DeliveryState.QUEUED
    assert held.next_attempt_at.astimezone(SHANGHAI).time() == end
    assert held.next_attempt_at > utcnow() + timedelta(hours=23)


def test_quiet_hours_over_midnight():
    zone, start, end = SHANGHAI, time(22, 0), time(7, 0)

    def at(day, hour, minute=0):
        return datetime(2026, 3, day, hour, minute, tzinfo=zone).astimezone(UTC)

    assert after_quiet_hours(at(2, 21, 59), start, end, zone) == at(2, 21, 59)
    assert after_quiet_hours(at(2, 22, 0), start, end, zone) == at(3, 7)
    assert after_quiet_hours(at(3, 3, 30), start, end, zone) == at(3, 7)
    assert after_quiet_hours(at(3, 7, 0), start, end, zone) == at(3, 7)
    assert after_quiet_hours(at(3, 3, 30), time(0, 0), time(0, 0), zone) == at(3, 3, 30)  # none


def test_a_person_who_never_chose_gets_the_group_robots_by_default(
    app, station, make_user, peer, set_channels, tell, deliveries
):
    set_channels(
        station, wecom_webhook=f"{peer.url}/w", dingtalk_webhook=f"{peer.url}/d", webhook_url=f"{peer.url}/h"
    )
    tell(make_user(Role.VOLUNTEER))
    assert {d.channel for d in deliveries()} == {Channel.INAPP, Channel.WECOM, Channel.DINGTALK}
    assert all(d.address == "" for d in deliveries())  # no mention without consent


def test_a_stopping_worker_sends_nothing_more_and_puts_claimed_notices_back(
    app, station, make_user, peer, set_channels, choose, tell, deliveries
):
    from scheduler.outbox.delivery import send_claimed

    set_channels(station, wecom_webhook=f"{peer.url}/w")
    choose(volunteer := make_user(Role.VOLUNTEER), by_wecom=True)
    for number in range(3):
        tell(volunteer, Message("e", f"第{number}条", ref=number))
    with app.app_context():
        ids = claim(utcnow())
        tally = send_claimed(ids, stopping=lambda: True)
    # The pool may have started a few before the first check; none is lost or left "sending".
    states = [d.state for d in deliveries(Channel.WECOM)]
    assert tally.sent == len(peer.received) == states.count(DeliveryState.SENT)
    assert states.count(DeliveryState.SENT) + states.count(DeliveryState.QUEUED) == 3
    with app.app_context():
        deliver_due()
    assert sorted(r.json["text"]["content"][:3] for r in peer.received) == ["第0条", "第1条", "第2条"]
