"""The outbox's rules in detail: what a test message may go to, and how a cut-off one ends."""

from datetime import timedelta

import pytest

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import Channel, Delivery, DeliveryState
from scheduler.outbox import services
from scheduler.outbox.delivery import INTERRUPTED, SENDING_LEASE, fail_interrupted
from scheduler.outbox.services import send_test_message
from scheduler.rules import RuleViolation


def refused(app, station, channel, admin) -> RuleViolation:
    with app.app_context(), pytest.raises(RuleViolation) as refusal:
        send_test_message(station, channel, admin)
    with app.app_context():
        assert db.session.query(Delivery).count() == 0
    return refusal.value


@pytest.mark.parametrize("channel", [Channel.INAPP, Channel.EMAIL])
def test_a_test_message_goes_only_to_a_chat_of_the_station(app, station, admin_client, channel):
    app.config.update(SMTP_URL="smtp://127.0.0.1:25", MAIL_FROM="station@example.org")  # e-mail is set up
    violation = refused(app, station, channel, admin_client.user)
    assert (violation.message, violation.field) == ("请选择驿站的一个群。", "channel")


def test_a_test_message_needs_the_chats_address_first(app, station, admin_client):
    violation = refused(app, station, Channel.DINGTALK, admin_client.user)
    assert (violation.message, violation.field) == ("请先保存这个群的机器人地址。", "channel")


def test_a_test_message_cut_off_while_sending_fails_after_the_lease_and_is_not_sent_again(
    app, station, admin_client, peer, set_channels, monkeypatch, send
):
    """The request dies mid-send (a worker timeout): the row is the worker's to fail, not to resend."""
    set_channels(station, wecom_webhook=f"{peer.url}/w")

    def cut_off(*args):
        raise SystemExit("worker killed")

    monkeypatch.setattr(services, "send_one", cut_off)
    with app.app_context(), pytest.raises(SystemExit):
        send_test_message(station, Channel.WECOM, admin_client.user)
    send()  # the worker, within the lease: leaves it alone
    with app.app_context():
        fail_interrupted(utcnow() + SENDING_LEASE + timedelta(minutes=1))
        delivery = db.session.query(Delivery).one()
        assert (delivery.state, delivery.last_error) == (DeliveryState.FAILED, INTERRUPTED)
    assert peer.received == []
