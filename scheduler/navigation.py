"""The navigation bar: each blueprint declares its entries and the roles that see them."""

from dataclasses import dataclass

from flask import Blueprint, current_app
from flask_login import current_user

from scheduler.models import Role


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
