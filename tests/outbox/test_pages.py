"""The pages of notices: the station's robots, the test button, the admin's list, people's choices."""

import logging
import re
from datetime import timedelta

import sqlalchemy as sa

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import (
    Channel,
    Delivery,
    DeliveryAttempt,
    DeliveryState,
    NoticeSettings,
    Role,
    StationChannels,
)
from tests.conftest import form_error
from tests.forms import form_on, submit_form

STATION_PAGE = "/people/station"
CHANNELS_FORM = "/notices/station"


def saved_channels(app, station) -> StationChannels:
    with app.app_context():
        channels = db.session.get(StationChannels, station.id)
        db.session.expunge_all()
        return channels


def test_the_secretary_saves_robots_and_never_sees_the_secrets_again(app, station, admin_client, caplog):
    caplog.set_level(logging.DEBUG)
    wecom = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY-1234"
    response = submit_form(
        admin_client,
        STATION_PAGE,
        {
            "wecom_webhook": wecom,
            "dingtalk_webhook": "https://oapi.dingtalk.com/robot/send?access_token=TOK",
            "dingtalk_secret": "SECsecret",
        },
        form=CHANNELS_FORM,
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(STATION_PAGE)
    channels = saved_channels(app, station)
    assert (channels.wecom_webhook, channels.dingtalk_secret) == (wecom, "SECsecret")

    page = admin_client.get(STATION_PAGE).get_data(as_text=True)
    for secret in ("KEY-1234", "TOK", "SECsecret"):
        assert secret not in page
        assert secret not in caplog.text
    assert page.count(">已设置<") == 3 and page.count(">未设置<") == 2
    controls = form_on(admin_client, STATION_PAGE, CHANNELS_FORM).controls
    typed = [
        c
        for c in controls
        if c.name.endswith(("webhook", "secret", "url")) and not c.name.startswith("clear_")
    ]
    assert len(typed) == 5 and all(control.value == "" for control in typed)

    # Saving again with the fields left empty keeps what is saved; "remove" clears one.
    submit_form(admin_client, STATION_PAGE, {"clear_dingtalk_secret": True}, form=CHANNELS_FORM)
    channels = saved_channels(app, station)
    assert (channels.wecom_webhook, channels.dingtalk_secret) == (wecom, "")


def test_the_log_names_the_chats_that_are_set_and_never_their_addresses(app, station, admin_client, caplog):
    def saved_line(fields: dict) -> str:
        with caplog.at_level(logging.INFO, logger="scheduler.outbox"):
            submit_form(admin_client, STATION_PAGE, fields, form=CHANNELS_FORM)
        return [r.getMessage() for r in caplog.records if "notice channels saved" in r.getMessage()][-1]

    set_two = {
        "wecom_webhook": "https://qyapi.weixin.qq.com/x?key=K1",
        "webhook_url": "https://hooks.example/a",
    }
    # Sorted names, so the line reads the same whichever order the form sent them in.
    assert saved_line(set_two) == f"station {station.id}: notice channels saved (webhook_url, wecom_webhook)"
    cleared = {"clear_wecom_webhook": True, "clear_webhook_url": True}
    assert saved_line(cleared) == f"station {station.id}: notice channels saved (none)"
    assert "K1" not in caplog.text and "hooks.example" not in caplog.text


def test_a_robot_address_must_be_a_web_address(app, station, admin_client):
    response = submit_form(
        admin_client, STATION_PAGE, {"wecom_webhook": "qyapi.weixin key=1"}, form=CHANNELS_FORM
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert form_error(html, "wecom_webhook") == "请粘贴完整地址，以 https:// 开头"
    assert 'value="qyapi.weixin key=1"' in html
    assert saved_channels(app, station) is None


def test_the_test_button_sends_to_the_robot_and_says_so(
    app, station, admin_client, peer, set_channels, deliveries
):
    set_channels(station, wecom_webhook=f"{peer.url}/w")
    response = submit_form(
        admin_client, STATION_PAGE, {"channel": "wecom"}, form="/notices/station/test", follow_redirects=True
    )
    assert "测试消息已发到企业微信群" in response.get_data(as_text=True)
    [request] = peer.received
    assert request.json["text"]["content"].startswith("来自海源丽都小区党群驿站的测试消息")
    [delivery] = deliveries(Channel.WECOM)
    assert delivery.state == DeliveryState.SENT and delivery.event == "test"


def test_a_failed_test_says_why_and_is_not_retried_later(
    app, station, admin_client, refused_url, set_channels, deliveries
):
    set_channels(station, dingtalk_webhook=refused_url)
    response = submit_form(
        admin_client,
        STATION_PAGE,
        {"channel": "dingtalk"},
        form="/notices/station/test",
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "钉钉群未能收到测试消息" in html and "ConnectionRefusedError" in html
    [delivery] = deliveries(Channel.DINGTALK)
    assert delivery.state == DeliveryState.FAILED


def test_the_webhook_test_message_names_the_secretary_and_links_to_her_page(
    app, station, admin_client, peer, set_channels
):
    set_channels(station, webhook_url=f"{peer.url}/sms")
    submit_form(admin_client, STATION_PAGE, {"channel": "webhook"}, form="/notices/station/test")
    [request] = peer.received
    assert request.json["link"] == "http://station.test/me"
    assert request.json["recipient"] == {"name": admin_client.user.display_name, "mobile": ""}


def test_a_test_message_leaves_the_rest_of_the_queue_alone(
    app, station, admin_client, make_user, peer, set_channels, deliveries
):
    set_channels(station, wecom_webhook=f"{peer.url}/w")
    waiting = make_delivery(app, station, make_user(Role.VOLUNTEER), DeliveryState.QUEUED)
    response = submit_form(
        admin_client, STATION_PAGE, {"channel": "wecom"}, form="/notices/station/test", follow_redirects=True
    )
    assert "测试消息已发到企业微信群" in response.get_data(as_text=True)
    queued, test = deliveries(Channel.WECOM)
    assert (queued.id, queued.state, test.state) == (waiting, DeliveryState.QUEUED, DeliveryState.SENT)


def test_a_test_needs_the_robot_first(app, station, admin_client):
    response = submit_form(
        admin_client, STATION_PAGE, {"channel": "wecom"}, form="/notices/station/test", follow_redirects=True
    )
    assert "请先保存这个群的机器人地址。" in response.get_data(as_text=True)


def make_delivery(
    app,
    station,
    user,
    state,
    channel=Channel.WECOM,
    text="5号楼 探访任务待认领",
    event="task.assigned",
    **fields,
):
    with app.app_context():
        delivery = Delivery(
            station_id=station.id,
            key=f"{event}:{text}:{state}:{channel}:{user.id}",
            event=event,
            channel=channel,
            user_id=user.id,
            text=text,
            state=state,
            last_error="HTTP 500" if state == DeliveryState.FAILED else "",
            **fields,
        )
        db.session.add(delivery)
        db.session.commit()
        return delivery.id


def test_the_admin_lists_the_stations_deliveries_filters_them_and_retries(
    app, station, make_station, make_user, auth
):
    admin = make_user(Role.ADMIN)
    client = auth.login(user=admin)
    failed = make_delivery(app, station, admin, DeliveryState.FAILED, text="失败的那条")
    make_delivery(app, station, admin, DeliveryState.SENT, text="送达的那条", event="shift.soon")
    other_station = make_station()
    make_delivery(
        app,
        other_station,
        make_user(Role.ADMIN, station=other_station),
        DeliveryState.FAILED,
        text="别的驿站",
    )

    page = client.get("/notices/").get_data(as_text=True)
    assert "失败的那条" in page and "送达的那条" in page and "别的驿站" not in page
    only_failed = client.get("/notices/?state=failed").get_data(as_text=True)
    assert "失败的那条" in only_failed and "送达的那条" not in only_failed
    by_kind = client.get("/notices/?event=shift").get_data(as_text=True)
    assert "送达的那条" in by_kind and "失败的那条" not in by_kind
    fragment = client.get("/notices/?channel=email", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="results">') and "没有符合条件的记录。" in fragment

    assert "1 条通知未能送达" in client.get("/me").get_data(as_text=True)
    response = submit_form(client, "/notices/?state=failed", {}, form=f"/notices/{failed}/retry")
    assert response.status_code == 302 and response.headers["Location"] == "/notices/?state=failed"
    with app.app_context():
        delivery = db.session.get(Delivery, failed)
        assert (delivery.state, delivery.attempts) == (DeliveryState.QUEUED, 0)
    assert "0 条通知未能送达" in client.get("/me").get_data(as_text=True)
    assert client.post(f"/notices/{failed}/retry").status_code == 302  # not failed any more: refused
    assert "只有发送失败的通知可以重发。" in client.get("/me").get_data(as_text=True)


def test_a_retry_starts_afresh_goes_out_now_and_touches_no_other_delivery(app, station, admin_client):
    admin = admin_client.user
    put_off = dict(attempts=6, next_attempt_at=utcnow() + timedelta(days=1))
    failed = make_delivery(app, station, admin, DeliveryState.FAILED, text="失败的那条", **put_off)
    other = make_delivery(app, station, admin, DeliveryState.FAILED, text="另一条")
    response = submit_form(
        admin_client, "/notices/", {}, form=f"/notices/{failed}/retry", follow_redirects=True
    )
    assert "已重新排队，一分钟内发出。" in response.get_data(as_text=True)
    assert response.get_data(as_text=True).count("HTTP 500") == 1  # the other one's error only
    with app.app_context():
        retried, untouched = db.session.get(Delivery, failed), db.session.get(Delivery, other)
        assert (retried.state, retried.attempts, retried.last_error) == (DeliveryState.QUEUED, 0, "")
        assert retried.next_attempt_at <= utcnow()
        assert untouched.state == DeliveryState.FAILED


def test_the_admin_filters_deliveries_by_a_kind_named_in_their_language(app, station, admin_client):
    admin = admin_client.user
    make_delivery(app, station, admin, DeliveryState.SENT, text="明天值班", event="shift.evening")
    make_delivery(app, station, admin, DeliveryState.SENT, text="探访任务待认领", event="task.assigned")
    [kinds] = form_on(admin_client, "/notices/").named("event")
    assert [value for value, _ in kinds.options] == [
        "",
        "shift",
        "task",
        "request",
        "visit",
        "report",
        "test",
        "notice",
    ]

    html = submit_form(admin_client, "/notices/", {"event": "shift"}).get_data(as_text=True)
    assert "明天值班" in html and "探访任务待认领" not in html
    assert re.search(r"·\s*排班\s*·", html) and "shift.evening" not in html


def test_a_retry_never_leads_to_another_site(app, station, admin_client):
    failed = make_delivery(app, station, admin_client.user, DeliveryState.FAILED)
    for target in ("https://evil.example/notices/", "//evil.example/", ""):
        response = admin_client.post(f"/notices/{failed}/retry", data={"next": target})
        assert response.status_code == 302 and response.headers["Location"] == "/notices/"


def test_nobody_retries_another_stations_delivery(app, make_station, make_user, admin_client):
    other_station = make_station()
    other = make_delivery(
        app, other_station, make_user(Role.ADMIN, station=other_station), DeliveryState.FAILED
    )
    assert admin_client.post(f"/notices/{other}/retry").status_code == 404


def test_only_the_secretary_sees_deliveries(coordinator_client, volunteer_client):
    assert coordinator_client.get("/notices/").status_code == 403
    assert volunteer_client.get("/notices/").status_code == 403
    assert "未能送达" not in volunteer_client.get("/me").get_data(as_text=True)


def test_a_volunteer_chooses_channels_on_their_page(app, station, volunteer_client, set_channels, peer):
    app.config.update(SMTP_URL="smtp://127.0.0.1:25", MAIL_FROM="station@example.org")
    set_channels(station, wecom_webhook=f"{peer.url}/w")  # no DingTalk robot: not offered
    names = form_on(volunteer_client, "/notices/settings").names
    assert {"by_wecom", "by_email"} <= names and "by_dingtalk" not in names

    refused = submit_form(volunteer_client, "/notices/settings", {"by_email": True, "email": ""})
    assert refused.status_code == 422
    assert form_error(refused.get_data(as_text=True), "email") == "要通过电子邮件接收通知，请填写邮箱地址。"
    bad = submit_form(volunteer_client, "/notices/settings", {"email": "wang at example"})
    assert form_error(bad.get_data(as_text=True), "email") == "请输入邮箱地址，例如 name@example.com。"
    assert 'value="wang at example"' in bad.get_data(as_text=True)

    response = submit_form(
        volunteer_client,
        "/notices/settings",
        {
            "by_wecom": False,
            "by_email": True,
            "email": "wang@example.org",
            "mention_consent": True,
            "quiet_start": "21:30",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        settings = db.session.get(NoticeSettings, volunteer_client.user.id)
        assert (settings.by_wecom, settings.by_email, settings.email) == (False, True, "wang@example.org")
        assert settings.mention_consent_at is not None
        assert (
            settings.quiet_start.strftime("%H:%M") == "21:30"
            and settings.quiet_end.strftime("%H:%M") == "07:00"
        )
    home = volunteer_client.get("/me").get_data(as_text=True)
    assert "本页面 · 电子邮件" in home

    # Taking consent back forgets when it was given.
    submit_form(volunteer_client, "/notices/settings", {"mention_consent": False})
    with app.app_context():
        assert db.session.get(NoticeSettings, volunteer_client.user.id).mention_consent_at is None


def test_a_channel_the_station_has_not_set_up_keeps_the_persons_choice(
    app, station, volunteer_client, set_channels, choose, peer
):
    volunteer = volunteer_client.user
    choose(volunteer, by_dingtalk=True, by_email=True, email="wang@example.org")
    set_channels(station, wecom_webhook=f"{peer.url}/w")  # no DingTalk robot and no SMTP: not offered
    response = submit_form(volunteer_client, "/notices/settings", {"by_wecom": True, "quiet_start": "21:00"})
    assert response.status_code == 302
    with app.app_context():
        settings = db.session.get(NoticeSettings, volunteer.id)
        assert (settings.by_wecom, settings.quiet_start.strftime("%H:%M")) == (True, "21:00")
        assert (settings.by_dingtalk, settings.by_email, settings.email) == (True, True, "wang@example.org")

    # Once the station connects its DingTalk group, the person hears there as they chose.
    set_channels(station, dingtalk_webhook=f"{peer.url}/d")
    assert "by_dingtalk" in dict(form_on(volunteer_client, "/notices/settings").successful_controls())


def test_choices_start_from_the_defaults(volunteer_client):
    form = form_on(volunteer_client, "/notices/settings")
    values = dict(form.successful_controls())
    assert (values["quiet_start"], values["quiet_end"]) == ("22:00", "07:00")
    assert "mention_consent" not in values  # no consent until the person gives it


def test_deliveries_of_a_station_are_counted_in_sql(app, station, make_user, admin_client, count_queries):
    admin = admin_client.user
    for number in range(30):
        make_delivery(app, station, admin, DeliveryState.SENT, text=f"第{number}条")
    with count_queries() as counter:
        assert admin_client.get("/notices/").status_code == 200
    assert counter.count <= 8
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Delivery)) == 30


def test_the_list_and_the_me_section_cost_as_many_queries_for_many_deliveries_as_for_one(
    app, station, make_user, admin_client, count_queries
):
    """Each delivery of another person, each with tries: none of it may cost a query per row."""

    def add_tried_deliveries(count: int) -> None:
        for number in range(count):
            delivery_id = make_delivery(
                app, station, make_user(Role.VOLUNTEER), DeliveryState.FAILED, text=f"第{number}条"
            )
            with app.app_context():
                db.session.add_all(
                    DeliveryAttempt(delivery_id=delivery_id, ok=False, result="HTTP 500") for _ in range(2)
                )
                db.session.commit()

    def queries(url: str) -> int:
        with count_queries() as counter:
            assert admin_client.get(url).status_code == 200
        return counter.count

    add_tried_deliveries(1)
    one = queries("/notices/"), queries("/me")
    add_tried_deliveries(29)
    page = admin_client.get("/notices/").get_data(as_text=True)
    assert page.count("HTTP 500") == 60 and "第28条" in page
    assert "30 条通知未能送达" in admin_client.get("/me").get_data(as_text=True)
    assert (queries("/notices/"), queries("/me")) == one


def test_the_secretary_reads_why_a_delivery_failed_in_her_language(
    app, station, make_user, admin_client, peer, set_channels, choose, tell, send
):
    """Reasons of a fixed wording are translated; a far end's own words stay as sent, escaped."""
    set_channels(station, wecom_webhook=f"{peer.url}/w")
    volunteer = make_user(Role.VOLUNTEER)
    choose(volunteer, by_wecom=True)
    peer.answer((200, b'{"errcode": 93000, "errmsg": "<b>bad</b> 100%"}'))
    tell(volunteer)
    send()
    set_channels(station, wecom_webhook="")  # the robot removed before the retry
    with app.app_context():
        db.session.execute(sa.update(Delivery).values(next_attempt_at=Delivery.created_at))
        db.session.commit()
    send()

    page = admin_client.get("/notices/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "errcode 93000: &lt;b&gt;bad&lt;/b&gt; 100%" in html and "<b>bad</b>" not in html
    assert "驿站尚未设置企业微信群机器人" in html and "no WeCom robot" not in html


def test_a_failed_test_message_says_why_in_her_language(app, station, admin_client, peer, set_channels):
    set_channels(station, wecom_webhook=f"{peer.url}/w")
    peer.answer((200, b"<html>portal login</html>"))
    response = submit_form(
        admin_client, STATION_PAGE, {"channel": "wecom"}, form="/notices/station/test", follow_redirects=True
    )
    assert "企业微信群未能收到测试消息：机器人的回复不是 JSON" in response.get_data(as_text=True)
