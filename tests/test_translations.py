"""Every user-facing string has a Simplified Chinese translation (the default language)."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from flask_babel import force_locale

ROOT = Path(__file__).resolve().parents[1]
CATALOG = ROOT / "translations" / "zh" / "LC_MESSAGES" / "messages.po"


def source_messages() -> set[str]:
    with open(ROOT / "babel.cfg") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT),
        method_map,
        options_map,
        keywords={"_": None, "_l": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)},
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_ui_string_is_translated_into_chinese():
    with open(CATALOG, "rb") as file:
        catalog = read_po(file, locale="zh")
    translated = {
        (message.id if isinstance(message.id, str) else message.id[0])
        for message in catalog
        if message.id and message.string and "fuzzy" not in message.flags
    }
    missing = sorted(source_messages() - translated)
    assert missing == [], "run `make extract-messages` and translate these in messages.po"


def test_templates_follow_the_locale_of_the_moment_within_one_request(app):
    """Templates keep the request's translations next to their locale: a forced locale (a
    message sent in the station's language from a request in another) gets its own."""
    template = app.jinja_env.from_string("{{ _('My page') }}")
    with app.test_request_context("/", headers={"Cookie": "lang=en"}):
        assert template.render() == "My page"
        with force_locale("zh"):
            assert template.render() == "我的"
        assert template.render() == "My page"
    with app.test_request_context("/"):
        assert template.render() == "我的"
