"""The accessibility gate itself: it must catch what it is there for, with and without JavaScript,
and say where and what to fix. (Every other browser test passes through it.)"""

import pytest

from tests.browser.accessibility import INIT_SCRIPT, AccessibilityGate, TwinPage
from tests.browser.conftest import PHONE

FAULTY = """<!doctype html><html lang="zh-CN"><head><title>门</title>
<style>.faint { color: #999; background: #fff; } a { font-size: 14px; }</style></head>
<body><main><h1>标题</h1><p class="faint">灰色的小字</p><p><a href="/x">小链接</a></p>
<button id="grow" hx-get="/x">按钮</button></main></body></html>"""


def open_gated(browser, javascript: bool, url: str):
    context = browser.new_context(viewport=PHONE, java_script_enabled=javascript, locale="zh-CN")
    twin = None if javascript else browser.new_context(viewport=PHONE, locale="zh-CN")
    if twin:
        twin.add_init_script(INIT_SCRIPT)
    page = context.new_page()
    page.route(url, lambda route: route.fulfill(body=FAULTY, content_type="text/html; charset=utf-8"))
    gate = AccessibilityGate(page, javascript, TwinPage(twin) if twin else None)
    return page, gate, [c for c in (context, twin) if c]


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
@pytest.mark.parametrize(("path", "needed"), [("/me", 44), ("/shifts/week", 24)])
def test_the_gate_reports_low_contrast_and_small_targets(browser, javascript, path, needed):
    url = "http://gate.test" + path
    page, gate, contexts = open_gated(browser, javascript, url)
    try:
        page.goto(url)
        gate.wait_until_checked()
    finally:
        for context in contexts:
            context.close()
    message = gate.failure_message()
    assert "axe 'color-contrast'" in message and ".faint" in message and "2.84" in message
    assert "tap target a “小链接”" in message and f"at least {needed}×{needed} px" in message
    assert path in message and "static/css/app.css" in message
