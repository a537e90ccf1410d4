"""The elderly register (台账) in and out of Excel.

The import reads a station's own register: a row matches a resident already registered
by phone and name (a phone a couple shares does not merge them), else by name and
address; only the columns the file has are updated. The export writes the same
columns (it can be imported back) and the visit dates.
"""

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import contains_eager

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.importing.plan import (
    Column,
    Importer,
    PlannedRow,
    RowChecker,
    building_spellings,
    unknown_building,
)
from scheduler.models import Beneficiary, Building
from scheduler.spreadsheets import Sheet

COLUMNS = [
    Column(
        "name", _l("Name"), True, "张桂芳", _l("The resident's full name."), ("老人姓名", "名字", "full name")
    ),
    Column(
        "building",
        _l("Building"),
        True,
        "1号楼",
        _l("As the station names it (5号楼), or just its number (5)."),
        ("楼号", "楼栋号", "楼宇", "building no"),
    ),
    Column("unit", _l("Unit"), False, "2单元", _l("For example 2单元; leave empty if none."), ("单元号",)),
    Column("room", _l("Room"), True, "301", _l("For example 301."), ("房号", "房间号", "室", "room no")),
    Column(
        "phone",
        _l("Phone"),
        False,
        "13912345678",
        _l("A mobile number or a landline with its area code."),
        ("联系电话", "手机", "手机号", "电话号码", "mobile", "telephone"),
    ),
    Column(
        "birth_year",
        _l("Year of birth"),
        False,
        "1942",
        _l("Four digits, e.g. 1942."),
        ("出生年", "birth year"),
    ),
    Column("lives_alone", _l("Lives alone"), False, "是", _l("是 or 否."), ("是否独居", "独居老人")),
    Column(
        "visit_every_days",
        _l("Visit every … days"),
        False,
        "7",
        _l("A number of days, e.g. 7; leave empty when there are no regular visits."),
        ("探访间隔", "探访周期", "探访频率", "visit every days", "visit every"),
    ),
    Column(
        "emergency_name",
        _l("Emergency contact"),
        False,
        "李明",
        "",
        ("紧急联系人姓名", "emergency contact name"),
    ),
    Column(
        "emergency_relation",
        _l("Relation"),
        False,
        "儿子",
        _l("For example daughter, neighbour."),
        ("与老人关系",),
    ),
    Column(
        "emergency_phone",
        _l("Emergency contact's phone"),
        False,
        "13812345678",
        "",
        ("紧急联系电话", "紧急联系人手机", "emergency phone"),
    ),
    Column(
        "care_notes",
        _l("Care notes"),
        False,
        "耳背，敲门要大声",
        _l("Only what helps the visits, e.g. hard of hearing, knock loudly. Staff only."),
        ("备注", "notes"),
    ),
    Column(
        "active", _l("Receives visits"), False, "是", _l("是 or 否; empty means 是."), ("是否探访", "在册")
    ),
]
# Column key → Beneficiary attribute, where they differ.
ATTRIBUTES = {"building": "building_id"}
# What a new resident gets for a column the file does not have.
DEFAULTS = {
    "unit": "",
    "phone": "",
    "emergency_name": "",
    "emergency_relation": "",
    "emergency_phone": "",
    "birth_year": None,
    "lives_alone": False,
    "care_notes": "",
    "visit_every_days": None,
    "active": True,
}
TEXT_LENGTHS = {
    "name": 40,
    "unit": 10,
    "room": 10,
    "emergency_name": 40,
    "emergency_relation": 20,
    "care_notes": 500,
}


class RegisterContext:
    """The station's buildings and residents, loaded once for a whole file."""

    def __init__(self, station_id: int):
        self.buildings = list(
            db.session.scalars(
                sa.select(Building).where(Building.station_id == station_id).order_by(Building.sort_order)
            )
        )
        self.building_by_spelling = building_spellings(self.buildings)
        residents = db.session.scalars(sa.select(Beneficiary).where(Beneficiary.station_id == station_id))
        self.by_phone_and_name: dict[tuple, Beneficiary] = {}
        self.by_address: dict[tuple, list[Beneficiary]] = {}
        for resident in residents:
            if resident.phone:
                self.by_phone_and_name.setdefault((resident.phone, resident.name), resident)
            key = (resident.name, resident.building_id, resident.room)
            self.by_address.setdefault(key, []).append(resident)
        self.this_year = utcnow().year

    def match(self, values: dict, unit_given: bool) -> Beneficiary | None:
        name, phone = values["name"], values.get("phone")
        if phone and (phone, name) in self.by_phone_and_name:
            return self.by_phone_and_name[(phone, name)]
        candidates = self.by_address.get((name, values.get("building_id"), values["room"]), [])
        if unit_given:
            candidates = [resident for resident in candidates if resident.unit == values.get("unit", "")]
        return candidates[0] if len(candidates) == 1 else None


class RegisterImporter(Importer):
    kind = "residents"
    blueprint = "visits"
    columns = COLUMNS

    def title(self) -> str:
        return _("Residents in care")

    def template_filename(self) -> str:
        return _("residents-in-care-template.xlsx")

    def prepare(self, station_id: int, table, positions) -> RegisterContext:
        return RegisterContext(station_id)

    def check_row(self, checker: RowChecker, context: RegisterContext) -> PlannedRow:
        values = {key: checker.text(key, length) for key, length in TEXT_LENGTHS.items()}
        building = checker.choice(
            "building",
            context.building_by_spelling,
            lambda: unknown_building(context.buildings, checker.cells.get("building", "")),
        )
        values["building"] = building.id if building else None
        if building:
            checker.shown["building"] = building.name
        values["phone"] = checker.phone("phone")
        values["emergency_phone"] = checker.phone("emergency_phone")
        values["birth_year"] = checker.whole_number(
            "birth_year", 1900, context.this_year, _l("Enter a year between 1900 and this year.")
        )
        values["visit_every_days"] = checker.whole_number(
            "visit_every_days", 1, 365, _l("Write a number of days from 1 to 365, or leave it empty.")
        )
        values["lives_alone"] = checker.flag("lives_alone", False)
        values["active"] = checker.flag("active", True)
        # Only the columns the file has are saved: a register without care notes keeps ours.
        values = checker.present(values, ATTRIBUTES)
        keys = [("name", values["name"], values.get("building_id"), values.get("unit", ""), values["room"])]
        if values.get("phone"):
            keys.append(("phone", values["phone"], values["name"]))
        row = checker.row(values)
        if not checker.problems:
            row.record = context.match(values, "unit" in checker.cells)
            if row.record is not None:
                keys.append(("name", "record", row.record.id))
                row.changed = checker.changed(row.record, values, ATTRIBUTES)
        row.keys = tuple(keys)
        return row

    def save(self, rows: list[PlannedRow], station_id: int, user) -> dict:
        now = utcnow()
        new_rows = []
        for row in rows:
            if row.record is None:
                resident = Beneficiary(station_id=station_id, **{**DEFAULTS, **row.values})
                resident.refresh_visit_due(now)
                new_rows.append(
                    {
                        **DEFAULTS,
                        **row.values,
                        "station_id": station_id,
                        "visit_due_at": resident.visit_due_at,
                    }
                )
            else:
                for attribute, value in row.values.items():
                    setattr(row.record, attribute, value)
                row.record.refresh_visit_due(now)
        if new_rows:
            # One statement for all new residents (added one by one, the ORM inserts them row by row).
            db.session.execute(sa.insert(Beneficiary), new_rows)
        return {"created": len(new_rows), "updated": len(rows) - len(new_rows)}


def register_sheet(residents: list[Beneficiary]) -> Sheet:
    """The register as the import reads it, then its visit dates (ignored on import)."""
    headers = [str(column.label) for column in COLUMNS] + [
        _("Registered"),
        _("Last visit"),
        _("Next visit due"),
    ]
    rows = []
    for resident in residents:
        row = []
        for column in COLUMNS:
            if column.key == "building":
                row.append(resident.building.name)
            else:
                row.append(getattr(resident, column.key))
        rows.append([*row, resident.created_at, resident.last_visit_at, resident.visit_due_at])
    return Sheet(_("Residents in care"), headers, rows)


def station_register(station_id: int) -> list[Beneficiary]:
    return list(
        db.session.scalars(
            sa.select(Beneficiary)
            .join(Beneficiary.building)
            .options(contains_eager(Beneficiary.building))
            .where(Beneficiary.station_id == station_id)
            .order_by(Building.sort_order, Beneficiary.unit, Beneficiary.room, Beneficiary.name)
        )
    )
