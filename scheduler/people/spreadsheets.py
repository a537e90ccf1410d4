"""Staff accounts in and out of Excel.

The export lists the station's accounts in the columns the import reads, then whether
each is active and when it was created and last signed in. The import (admins only)
matches accounts by username; a new account gets no password but an invitation link.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import selectinload

from scheduler.extensions import db
from scheduler.importing.plan import (
    Column,
    Importer,
    PlannedRow,
    RowChecker,
    building_spellings,
    spellings,
    unknown_building,
)
from scheduler.models import KIND_LABELS, ROLE_LABELS, Building, Kind, Role, User
from scheduler.models.core import NO_PASSWORD_YET
from scheduler.people.forms import USERNAME_PATTERN
from scheduler.people.invitations import issue_invitation
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


def role_spellings() -> dict[str, Role]:
    return spellings(
        [
            (Role.ADMIN, [ROLE_LABELS[Role.ADMIN], "书记", "管理员", "admin", "administrator"]),
            (Role.COORDINATOR, [ROLE_LABELS[Role.COORDINATOR], "协调员", "社区工作者", "coordinator"]),
            (Role.VOLUNTEER, [ROLE_LABELS[Role.VOLUNTEER], "volunteer"]),
        ]
    )


def kind_spellings() -> dict[str, Kind]:
    return spellings(
        [(kind, [label, kind.value]) for kind, label in KIND_LABELS.items()]
        + [(Kind.PROPERTY_STAFF, ["物业"]), (Kind.RESIDENT_VOLUNTEER, ["居民"])]
    )


# Column key → User attribute, where they differ.
ATTRIBUTES = {"building": "building_id"}


class AccountsContext:
    """The station's buildings, and every account already holding a username of the file (one query)."""

    def __init__(self, station_id: int, usernames: set[str], importing_user: User):
        self.station_id = station_id
        self.importing_user_id = importing_user.id
        self.buildings = list(
            db.session.scalars(
                sa.select(Building).where(Building.station_id == station_id).order_by(Building.sort_order)
            )
        )
        self.building_by_spelling = building_spellings(self.buildings)
        # Labels in both languages: made in a request, not when the module loads.
        self.roles = role_spellings()
        self.kinds = kind_spellings()
        self.by_username = {
            user.username: user
            for user in db.session.scalars(sa.select(User).where(User.username.in_(sorted(usernames))))
        }


@dataclass(frozen=True)
class InvitedPerson:
    """What the invitation sheet prints, taken before the commit expires the new account."""

    display_name: str
    username: str
    link: str


class AccountsImporter(Importer):
    """Accounts matched by username; new ones get an invitation link, never a typed password."""

    kind = "accounts"
    blueprint = "people"
    columns = COLUMNS

    def title(self) -> str:
        return _("Accounts")

    def template_filename(self) -> str:
        return _("accounts-template.xlsx")

    def prepare(self, station_id: int, table, positions) -> AccountsContext:
        index = positions["username"]
        usernames = {cells[index].strip().lower() for _number, cells in table.rows if index < len(cells)}
        return AccountsContext(station_id, usernames, current_user)

    def check_row(self, checker: RowChecker, context: AccountsContext) -> PlannedRow:
        username = checker.text("username", 40).lower()
        checker.shown["username"] = username
        if username and not USERNAME_PATTERN.regex.match(username):
            checker.problem("username", USERNAME_PATTERN.message)
        values = {
            "username": username,
            "display_name": checker.text("display_name", 40),
            "phone": checker.phone("phone"),
            # An empty cell keeps an account's role; a new account is a volunteer.
            "role": checker.choice("role", context.roles, _l("Write 支部书记, 网格员 or 志愿者.")),
            "kind": checker.choice("kind", context.kinds, _l("Write 党员, 楼栋长, 物业人员 or 居民志愿者.")),
        }
        building = checker.choice(
            "building",
            context.building_by_spelling,
            lambda: unknown_building(context.buildings, checker.cells.get("building", "")),
        )
        values["building"] = building.id if building else None
        for key, value in (("role", values["role"]), ("kind", values["kind"])):
            if value is not None:
                checker.shown[key] = value.label
        if building:
            checker.shown["building"] = building.name
        values = checker.present(values, ATTRIBUTES)
        if values.get("role", "") is None:
            del values["role"]
        existing = context.by_username.get(username)
        if existing is not None and existing.station_id != context.station_id:
            checker.problem(
                "username", _l("This username belongs to an account of another station. Choose another.")
            )
        elif (
            existing is not None
            and existing.id == context.importing_user_id
            and values.get("role", existing.role) != existing.role
        ):
            checker.problem("role", _l("You cannot change your own role."))
        row = checker.row(values, keys=(("username", username),))
        if not checker.problems and existing is not None:
            row.record = existing
            row.changed = checker.changed(existing, values, ATTRIBUTES)
        return row

    def save(self, rows: list[PlannedRow], station_id: int, user) -> list[InvitedPerson]:
        """Write the rows; each new person gets an invitation link (returned, shown once)."""
        invited = []
        for row in rows:
            if row.record is None:
                person = User(
                    station_id=station_id,
                    password_hash=NO_PASSWORD_YET,
                    active=True,
                    **{"role": Role.VOLUNTEER, **row.values},
                )
                db.session.add(person)
                # Issued before the flush: a person without an id has no older link to revoke.
                link = issue_invitation(person, user)
                invited.append(InvitedPerson(person.display_name, person.username, link))
            else:
                role_changes = "role" in row.values and row.values["role"] != row.record.role
                for attribute, value in row.values.items():
                    setattr(row.record, attribute, value)
                if role_changes:
                    row.record.end_all_sessions()
        return invited


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
