"""Channel adapters: each sends one delivery its own way, behind one small interface.

``send(item, station, config)`` returns a short result for the attempt log or raises
``DeliveryError``. Every network call has a timeout. Error texts never carry a URL
(a robot's URL is its secret) nor a secret. Those of fixed wording are marked ``N_``:
they are stored and logged in English and shown translated on /notices.

The in-app channel is the ``Notice`` row that ``notify`` writes in the event's own
transaction: it is delivered when it is committed, so it has no adapter here.
"""

import base64
import hashlib
import hmac
import http.client
import json
import smtplib
import socket
import ssl
import time
import urllib.parse
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

from scheduler.models import Channel, StationChannels


def N_(text: str) -> str:
    """Marks a text for the catalogue (pybabel's default keyword); it is translated where shown."""
    return text


class DeliveryError(Exception):
    """The far end did not take the message. ``permanent``: retrying cannot help."""

    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Outgoing:
    """What a worker needs to send one delivery, read before any network call."""

    id: int
    key: str
    event: str
    channel: Channel
    address: str
    text: str
    link: str
    urgent: bool
    station_id: int
    recipient: str  # the staff member's display name, for e-mail and webhook
    attempts: int = 0  # tries before this one


class ChannelAdapter(Protocol):
    def send(self, item: Outgoing, station: StationChannels, config) -> str: ...


def message_body(item: Outgoing) -> str:
    return f"{item.text}\n{item.link}" if item.link else item.text


def post_json(url: str, payload: dict, timeout: float, headers: dict | None = None) -> bytes:
    """POST JSON and return the body of a 2xx answer; anything else is a DeliveryError."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    return post_bytes(url, body, timeout, headers)


def post_bytes(url: str, body: bytes, timeout: float, headers: dict | None = None) -> bytes:
    """One POST on its own connection (http.client: no redirects, no proxies), with a timeout.

    TCP_NODELAY: http.client writes the headers and the body separately, and Nagle's
    algorithm would hold the body back until the peer's delayed ACK (40 ms on Linux).
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DeliveryError(N_("the address is not an http(s) address"), permanent=True)
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(parts.hostname, parts.port, timeout=timeout)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    try:
        connection.connect()
        connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        connection.request(
            "POST", target, body, {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        )
        response = connection.getresponse()
        answer = response.read(4096)
    except (OSError, http.client.HTTPException) as error:
        raise DeliveryError(f"{type(error).__name__}: {error}"[:200]) from None
    finally:
        connection.close()
    if not 200 <= response.status < 300:
        raise DeliveryError(f"HTTP {response.status}", permanent=response.status in (400, 401, 403, 404))
    return answer


def robot_answer(raw: bytes) -> str:
    """WeCom and DingTalk answer 200 with {"errcode": 0, "errmsg": "ok"} when they took it."""
    try:
        answer = json.loads(raw or b"{}")
    except ValueError:
        raise DeliveryError(N_("the robot answered something that is not JSON")) from None
    if answer.get("errcode", 0) != 0:
        raise DeliveryError(f"errcode {answer.get('errcode')}: {str(answer.get('errmsg', ''))[:120]}")
    return "ok"


class WeComRobot:
    """企业微信 group robot: text message, @-mentioning by mobile number."""

    def send(self, item: Outgoing, station: StationChannels, config) -> str:
        if not station.wecom_webhook:
            raise DeliveryError(N_("no WeCom robot is set for the station"), permanent=True)
        text = {"content": message_body(item)}
        if item.address:
            text["mentioned_mobile_list"] = [item.address]
        raw = post_json(
            station.wecom_webhook, {"msgtype": "text", "text": text}, config["NOTICE_TIMEOUT_SECONDS"]
        )
        return robot_answer(raw)


def dingtalk_signature(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature: base64 of HMAC-SHA256 over "timestamp\\nsecret", URL-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


def dingtalk_url(webhook: str, secret: str, now: float | None = None) -> str:
    if not secret:
        return webhook
    timestamp = int((now if now is not None else time.time()) * 1000)
    separator = "&" if "?" in webhook else "?"
    return f"{webhook}{separator}timestamp={timestamp}&sign={dingtalk_signature(secret, timestamp)}"


class DingTalkRobot:
    """钉钉 custom robot: text message with ``at.atMobiles``, signed when a secret is set."""

    def send(self, item: Outgoing, station: StationChannels, config) -> str:
        if not station.dingtalk_webhook:
            raise DeliveryError(N_("no DingTalk robot is set for the station"), permanent=True)
        content = message_body(item)
        at = {"atMobiles": [], "isAtAll": False}
        if item.address:
            at["atMobiles"] = [item.address]
            content = f"{content} @{item.address}"  # DingTalk highlights a mention written in the text
        url = dingtalk_url(station.dingtalk_webhook, station.dingtalk_secret)
        raw = post_json(
            url, {"msgtype": "text", "text": {"content": content}, "at": at}, config["NOTICE_TIMEOUT_SECONDS"]
        )
        return robot_answer(raw)


SIGNATURE_HEADER = "X-Scheduler-Signature"
TIMESTAMP_HEADER = "X-Scheduler-Timestamp"


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 (hex) of "<timestamp>.<body>" with the station's webhook secret."""
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


class Webhook:
    """A JSON POST for SMS gateways and anything else, signed in a header."""

    def send(self, item: Outgoing, station: StationChannels, config) -> str:
        if not station.webhook_url:
            raise DeliveryError(N_("no webhook is set for the station"), permanent=True)
        payload = {
            "id": item.key,
            "event": item.event,
            "text": item.text,
            "link": item.link,
            "urgent": item.urgent,
            "recipient": {"name": item.recipient, "mobile": item.address},
        }
        body = json.dumps(payload, ensure_ascii=False).encode()
        timestamp = str(int(time.time()))
        headers = {TIMESTAMP_HEADER: timestamp}
        if station.webhook_secret:
            headers[SIGNATURE_HEADER] = webhook_signature(station.webhook_secret, timestamp, body)
        post_bytes(station.webhook_url, body, config["NOTICE_TIMEOUT_SECONDS"], headers)
        return "ok"


class Email:
    """SMTP: ``smtp://user:pass@host:587`` upgrades with STARTTLS, ``smtps://`` speaks TLS at once.

    A password is never sent over a connection that is not encrypted; a relay on the same
    machine without a password may be reached without TLS (``smtp://localhost:25``).
    """

    def send(self, item: Outgoing, station: StationChannels, config) -> str:
        url = urllib.parse.urlsplit(config["SMTP_URL"])
        if url.scheme not in ("smtp", "smtps") or not url.hostname or not config["MAIL_FROM"]:
            raise DeliveryError(N_("e-mail is not set up (SMTP_URL, MAIL_FROM)"), permanent=True)
        message = EmailMessage()
        message["Subject"] = item.text[:80]
        message["From"] = config["MAIL_FROM"]
        message["To"] = item.address
        message.set_content(message_body(item))
        timeout = config["NOTICE_TIMEOUT_SECONDS"]
        try:
            if url.scheme == "smtps":
                client = smtplib.SMTP_SSL(
                    url.hostname, url.port or 465, timeout=timeout, context=ssl.create_default_context()
                )
            else:
                client = smtplib.SMTP(url.hostname, url.port or 587, timeout=timeout)
            with client:
                if url.scheme == "smtp":
                    client.ehlo()
                    if client.has_extn("starttls"):
                        client.starttls(context=ssl.create_default_context())
                        client.ehlo()
                    elif url.username:
                        raise DeliveryError(
                            N_("the mail server offers no STARTTLS; the password stays unsent"),
                            permanent=True,
                        )
                if url.username:
                    client.login(urllib.parse.unquote(url.username), urllib.parse.unquote(url.password or ""))
                refused = client.send_message(message)
        except smtplib.SMTPRecipientsRefused:
            raise DeliveryError(N_("the mail server refused the address"), permanent=True) from None
        except smtplib.SMTPAuthenticationError:
            raise DeliveryError(
                N_("the mail server refused the user name or password"), permanent=True
            ) from None
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryError(f"{type(error).__name__}: {error}"[:200]) from None
        if refused:
            raise DeliveryError(N_("the mail server refused the address"), permanent=True)
        return "ok"


ADAPTERS: dict[Channel, ChannelAdapter] = {
    Channel.WECOM: WeComRobot(),
    Channel.DINGTALK: DingTalkRobot(),
    Channel.EMAIL: Email(),
    Channel.WEBHOOK: Webhook(),
}
