"""Badges are read by older eyes on cheap phones: their text meets WCAG AA (4.5:1)."""

import re
from pathlib import Path

import pytest

CSS = (Path(__file__).resolve().parents[1] / "static" / "css" / "app.css").read_text(encoding="utf-8")


def variables() -> dict[str, str]:
    root = re.search(r":root\s*\{(.*?)\}", CSS, re.S).group(1)
    return dict(re.findall(r"(--[\w-]+):\s*([^;]+);", root))


def resolve(value: str) -> str:
    value = value.strip()
    match = re.fullmatch(r"var\((--[\w-]+)\)", value)
    return variables()[match.group(1)].strip() if match else value


def luminance(colour: str) -> float:
    hex_digits = colour.lstrip("#")
    if len(hex_digits) == 3:
        hex_digits = "".join(digit * 2 for digit in hex_digits)
    channels = [int(hex_digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    lighter, darker = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def badge_rules() -> list[tuple[str, str, str]]:
    """(selector, text colour, background) of every badge style in the stylesheet."""
    rules = []
    for selector, body in re.findall(
        r"(\.badge(?:\.[\w-]+)*(?:,\s*\.badge(?:\.[\w-]+)*)*)\s*\{([^}]*)\}", CSS
    ):
        declared = dict(re.findall(r"(?<![\w-])(color|background):\s*([^;]+);", body))
        if "color" in declared and "background" in declared:
            rules.append((selector, resolve(declared["color"]), resolve(declared["background"])))
    return rules


def test_the_stylesheet_has_the_badges_this_test_reads():
    selectors = {selector for selector, _fg, _bg in badge_rules()}
    assert {".badge", ".badge.off", ".badge.info", ".badge.alert"} <= selectors


@pytest.mark.parametrize("selector, foreground, background", badge_rules())
def test_badge_text_meets_wcag_aa(selector, foreground, background):
    assert contrast(foreground, background) >= 4.5, f"{selector}: {foreground} on {background}"


def test_inactive_rows_are_not_faded():
    """Opacity would fade the badge and the text of a switched-off person below AA."""
    rule = re.search(r"\.row\.inactive\s*\{([^}]*)\}", CSS).group(1)
    assert "opacity" not in rule
