"""Each channel's adapter against a real peer on loopback: payload shapes, signatures, mail."""

import base64
import email
import hashlib
import hmac
import json
import time

from scheduler.models import Channel, DeliveryState, Role
from scheduler.outbox.channels import SIGNATURE_HEADER, TIMESTAMP_HEADER, dingtalk_signature
from scheduler.outbox.messages import Message


def test_wecom_robot_gets_a_text_message_mentioning_the_consenting_mobile(
    app, station, make_user, peer, set_channels, choose, tell, send, deliveries
):
    set_channels(station, wecom_webhook=f"{peer.url}/cgi-bin/webhook/send?key=abc")
    volunteer = make_user(Role.VOLUNTEER, phone="13912345678")
    choose(volunteer, by_wecom=True, consent=True)
    tell(volunteer, Message("shift.assigned", "5号楼 值班提醒", ref=1))

    assert send().sent == 1
    [request] = peer.received
    assert request.path == "/cgi-bin/webhook/send" and request.query == {"key": "abc"}
    assert request.headers["Content-Type"].startswith("application/json")
    assert request.json == {
        "msgtype": "text",
        "text": {
            "content": "5号楼 值班提醒\nhttp://station.test/me",
            "mentioned_mobile_list": ["13912345678"],
        },
    }
    [delivery] = deliveries(Channel.WECOM)
    assert delivery.state == DeliveryState.SENT and delivery.attempt_log[0].ok


def test_without_consent_the_group_message_mentions_nobody(
    app, station, make_user, peer, set_channels, choose, tell, send
):
    set_channels(station, wecom_webhook=f"{peer.url}/wecom", dingtalk_webhook=f"{peer.url}/ding")
    volunteer = make_user(Role.VOLUNTEER, phone="13912345678")
    choose(volunteer, by_wecom=True, by_dingtalk=True, consent=False)
    tell(volunteer)

    assert send().sent == 2
    bodies = {request.path: request.json for request in peer.received}
    assert "mentioned_mobile_list" not in bodies["/wecom"]["text"]
    assert bodies["/ding"]["at"] == {"atMobiles": [], "isAtAll": False}
    assert "13912345678" not in json.dumps(bodies)


def test_dingtalk_robot_is_signed_as_dingtalk_documents(
    app, station, make_user, peer, set_channels, choose, tell, send
):
    secret = "SEC0123456789abcdef"
    set_channels(station, dingtalk_webhook=f"{peer.url}/robot/send?access_token=tok", dingtalk_secret=secret)
    volunteer = make_user(Role.VOLUNTEER, phone="13800001111")
    choose(volunteer, by_dingtalk=True, consent=True)
    tell(volunteer, Message("request.new", "新的居民请求 (单号 K7M2QX)", ref=7))

    before = int(time.time() * 1000)
    assert send().sent == 1
    [request] = peer.received
    assert request.query["access_token"] == "tok"
    timestamp = request.query["timestamp"]
    assert before - 1000 <= int(timestamp) <= int(time.time() * 1000)
    # The peer checks the signature the way DingTalk does (parse_qsl already URL-decoded it).
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    assert request.query["sign"] == expected
    assert request.json == {
        "msgtype": "text",
        "text": {"content": "新的居民请求 (单号 K7M2QX)\nhttp://station.test/me @13800001111"},
        "at": {"atMobiles": ["13800001111"], "isAtAll": False},
    }


def test_dingtalk_signature_is_url_encoded():
    # base64 has "+", "/" and "="; in a query string they must be percent-encoded.
    sign = dingtalk_signature("SECsecret", 1700000000000)
    assert "%" in sign and "+" not in sign and "/" not in sign and "=" not in sign


def test_dingtalk_without_a_secret_is_not_signed(
    app, station, make_user, peer, set_channels, choose, tell, send
):
    set_channels(station, dingtalk_webhook=f"{peer.url}/robot/send?access_token=tok")
    choose(volunteer := make_user(Role.VOLUNTEER), by_dingtalk=True)
    tell(volunteer)
    assert send().sent == 1
    assert peer.received[0].query == {"access_token": "tok"}


def test_robot_error_code_counts_as_a_failure(
    app, station, make_user, peer, set_channels, choose, tell, send, deliveries
):
    set_channels(station, wecom_webhook=f"{peer.url}/wecom")
    choose(volunteer := make_user(Role.VOLUNTEER), by_wecom=True)
    peer.answer((200, b'{"errcode":93000,"errmsg":"invalid webhook url"}'))
    tell(volunteer)

    with app.app_context():
        app.config["NOTICE_RETRY_SECONDS"] = 3600
    tally = send()
    assert (tally.sent, tally.retrying) == (0, 1)
    [delivery] = deliveries(Channel.WECOM)
    assert delivery.state == DeliveryState.QUEUED
    assert delivery.attempt_log[0].result == "errcode 93000: invalid webhook url"


def test_webhook_is_signed_with_hmac_sha256_in_a_header(
    app, station, make_user, peer, set_channels, choose, tell, send
):
    set_channels(station, webhook_url=f"{peer.url}/sms", webhook_secret="whsec-1")
    volunteer = make_user(Role.VOLUNTEER, phone="13700002222", display_name="王师傅")
    choose(volunteer, by_webhook=True)
    tell(volunteer, Message("visit.flag", "紧急", ref=3, urgent=True))

    assert send().sent == 1
    [request] = peer.received
    timestamp = request.headers[TIMESTAMP_HEADER]
    expected = hmac.new(b"whsec-1", timestamp.encode() + b"." + request.body, hashlib.sha256).hexdigest()
    assert request.headers[SIGNATURE_HEADER] == f"sha256={expected}"
    body = request.json
    assert body["event"] == "visit.flag" and body["urgent"] is True and body["text"] == "紧急"
    assert body["recipient"] == {"name": "王师傅", "mobile": "13700002222"}
    assert body["id"].startswith("visit.flag:3:")


def test_email_goes_through_smtp(app, make_user, smtp_peer, choose, tell, send):
    app.config.update(SMTP_URL=smtp_peer.url, MAIL_FROM="驿站 <station@example.org>")
    volunteer = make_user(Role.VOLUNTEER)
    choose(volunteer, by_email=True, email="wang@example.org")
    tell(volunteer, Message("report.ready", "2026年11月 月报已生成", ref="2026-11"))

    assert send().sent == 1
    [envelope] = smtp_peer.messages
    assert envelope.rcpt_tos == ["wang@example.org"]
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert message["Subject"] == "2026年11月 月报已生成"
    assert "http://station.test/me" in message.get_content()


def test_email_with_a_password_needs_tls(app, make_user, smtp_peer, choose, tell, send, deliveries):
    # The test server offers no STARTTLS: the password must not cross in clear, and retrying cannot help.
    host_port = smtp_peer.url.removeprefix("smtp://")
    app.config.update(SMTP_URL=f"smtp://user:secret@{host_port}", MAIL_FROM="station@example.org")
    volunteer = make_user(Role.VOLUNTEER)
    choose(volunteer, by_email=True, email="wang@example.org")
    tell(volunteer)

    assert send().failed == 1
    assert smtp_peer.messages == []
    [delivery] = deliveries(Channel.EMAIL)
    assert delivery.state == DeliveryState.FAILED and "STARTTLS" in delivery.last_error
    assert "secret" not in delivery.last_error
