"""Navigation and home page: each blueprint declares its entries and who sees them.

Areas register themselves here instead of editing shared templates and routes.
"""

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Blueprint, current_app, g, render_template
from flask_login import current_user
from markupsafe import Markup

from scheduler.models import Role

T = TypeVar("T")


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: str  # a lazy_gettext string, translated when shown
    roles: tuple[Role, ...]
    order: int = 50


def add_nav_item(blueprint: Blueprint, endpoint: str, label, roles: tuple[Role, ...], order: int = 50):
    items = blueprint.__dict__.setdefault("nav_items", [])
    items.append(NavItem(endpoint, label, roles, order))


def nav_items_for_current_user() -> list[NavItem]:
    if not current_user.is_authenticated:
        return []
    items = [
        item
        for blueprint in current_app.blueprints.values()
        for item in blueprint.__dict__.get("nav_items", [])
        if current_user.role in item.roles
    ]
    return sorted(items, key=lambda item: item.order)


@dataclass(frozen=True)
class HomeSection:
    """A part of the ``/me`` page that an area contributes (my shifts, my tasks…)."""

    template: str
    context: Callable[[Any], dict]  # called with the signed-in user
    roles: tuple[Role, ...]
    order: int = 50


def add_home_section(
    blueprint: Blueprint,
    template: str,
    context: Callable[[Any], dict],
    roles: tuple[Role, ...],
    order: int = 50,
):
    sections = blueprint.__dict__.setdefault("home_sections", [])
    sections.append(HomeSection(template, context, roles, order))


def render_home_sections(user) -> list[Markup]:
    """Each section of the areas this user's role may see, rendered in order."""
    sections = sorted(
        (
            section
            for blueprint in current_app.blueprints.values()
            for section in blueprint.__dict__.get("home_sections", [])
            if user.role in section.roles
        ),
        key=lambda section: section.order,
    )
    return [Markup(render_template(section.template, **section.context(user))) for section in sections]


def built_once_per_request(name: str, key: Hashable, build: Callable[[], T]) -> T:
    """What several /me sections read (the task dashboard, the staff's week overview): built
    by the first section that asks, and shared with the others for the rest of the request."""
    built = g.setdefault(name, {})
    if key not in built:
        built[key] = build()
    return built[key]
