"""Staff accounts in and out of Excel.

The export lists the station's accounts in the columns the import reads, then whether
each is active and when it was created and last signed in. The import (admins only)
matches accounts by username; a new account gets no password but an invitation link.
"""

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from scheduler.extensions import db
from scheduler.importing.plan import Column
from scheduler.models import User
from scheduler.spreadsheets import Sheet

COLUMNS = [
    Column(
        "username",
        _l("Username (for signing in)"),
        True,
        "wang.fang",
        _l("3 to 40 lower-case letters, digits, dots, dashes or underscores; unique."),
        ("用户名", "账号", "登录名", "username", "login"),
    ),
    Column(
        "display_name", _l("Name"), True, "王芳", _l("As the station knows them."), ("name", "display name")
    ),
    Column(
        "phone",
        _l("Mobile phone"),
        False,
        "13912345678",
        _l("A mobile number or a landline with its area code."),
        ("电话", "联系电话", "手机", "phone", "mobile"),
    ),
    Column(
        "role",
        _l("Role"),
        False,
        "志愿者",
        _l("支部书记, 网格员 or 志愿者; empty means 志愿者."),
        ("role",),
    ),
    Column(
        "kind",
        _l("What they are"),
        False,
        "居民志愿者",
        _l("党员, 楼栋长, 物业人员 or 居民志愿者; may be empty."),
        ("类别", "kind"),
    ),
    Column(
        "building",
        _l("Home building"),
        False,
        "1号楼",
        _l("As the station names it (5号楼), or just its number (5)."),
        ("楼栋", "楼号", "building"),
    ),
]


def accounts_sheet(users: list[User]) -> Sheet:
    headers = [str(column.label) for column in COLUMNS] + [
        _("Account active"),
        _("Created"),
        _("Last sign-in"),
    ]
    rows = [
        [
            user.username,
            user.display_name,
            user.phone,
            user.role.label,
            user.kind.label if user.kind else "",
            user.building.name if user.building else "",
            user.active,
            user.created_at,
            user.last_login_at,
        ]
        for user in users
    ]
    return Sheet(_("Accounts"), headers, rows)


def station_accounts(station_id: int) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.station_id == station_id)
            .options(selectinload(User.building))
            .order_by(User.role, User.display_name, User.id)
        )
    )
