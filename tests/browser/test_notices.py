"""On a phone: the secretary connects the WeCom group and sends a test message; a
volunteer chooses how they hear of things."""

from scheduler.extensions import db
from scheduler.models import NoticeSettings, Role, StationChannels
from tests.browser.conftest import has_horizontal_scroll, screenshot, sign_in
from tests.conftest import TEST_PASSWORD


def test_the_secretary_sets_a_wecom_robot_and_sends_a_test_message(
    live_server, page, app, station, make_user, peer
):
    secretary = make_user(Role.ADMIN, display_name="李书记")
    sign_in(page, live_server, secretary.username, TEST_PASSWORD)
    page.wait_for_url(f"{live_server}/me")
    page.goto(f"{live_server}/people/station")
    robot = f"{peer.url}/cgi-bin/webhook/send?key=KEY-4321"
    page.fill("#wecom_webhook", robot)
    page.click("text=保存群设置")
    page.wait_for_url(f"{live_server}/people/station")
    assert "通知渠道已保存。" in page.locator("#flashes").inner_text()
    assert "KEY-4321" not in page.content()
    assert page.locator("#wecom_webhook").input_value() == ""
    with app.app_context():
        assert db.session.get(StationChannels, station.id).wecom_webhook == robot

    page.select_option("#channel", "wecom")
    page.click("text=发送测试消息")
    page.wait_for_url(f"{live_server}/people/station")
    assert "测试消息已发到企业微信群" in page.locator("#flashes").inner_text()
    [request] = peer.received
    assert request.json["text"]["content"].startswith("来自海源丽都小区党群驿站的测试消息")
    assert not has_horizontal_scroll(page)
    page.locator("#notice-chats").scroll_into_view_if_needed()
    screenshot(page, "notices-station-robots-360")

    page.click("text=查看发送记录")
    page.wait_for_url(f"{live_server}/notices/")
    assert "测试消息" in page.locator("#results").inner_text()
    assert not has_horizontal_scroll(page)
    screenshot(page, "notices-deliveries-360")


def test_a_volunteer_changes_how_they_hear_of_things(
    live_server, page, app, station, make_user, set_channels, peer
):
    set_channels(station, wecom_webhook=f"{peer.url}/w", dingtalk_webhook=f"{peer.url}/d")
    volunteer = make_user(Role.VOLUNTEER, display_name="王师傅")
    sign_in(page, live_server, volunteer.username, TEST_PASSWORD)
    page.wait_for_url(f"{live_server}/me")
    change = page.locator("text=更改通知方式")
    assert change.bounding_box()["height"] >= 44
    change.click()
    page.wait_for_url(f"{live_server}/notices/settings")
    assert page.locator("#by_wecom").is_checked() and page.locator("#by_dingtalk").is_checked()
    assert not page.locator("#mention_consent").is_checked()
    page.uncheck("#by_dingtalk")
    page.check("#mention_consent")
    page.fill("#quiet_start", "21:30")
    assert not has_horizontal_scroll(page)
    screenshot(page, "notices-my-settings-360")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server}/me")
    assert "通知设置已保存。" in page.locator("#flashes").inner_text()
    assert "本页面 · 企业微信群" in page.locator("#notice-channels").inner_text()
    with app.app_context():
        settings = db.session.get(NoticeSettings, volunteer.id)
        assert (settings.by_wecom, settings.by_dingtalk) == (True, False)
        assert settings.mention_consent_at is not None and settings.quiet_start.strftime("%H:%M") == "21:30"
    page.locator("#notice-channels").scroll_into_view_if_needed()
    screenshot(page, "notices-me-360")
