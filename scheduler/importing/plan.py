"""From a table of text to a plan: each row as it will be saved, new or an update, and its problems.

An ``Importer`` (one per kind of record) names its columns, loads the station's
existing records once, checks one row at a time and saves the rows of a plan. This
module does the rest the same way for every kind: columns found by their header's
name in Chinese or English in any order, duplicates within the file, counts, and the
fingerprint that tells whether the plan confirmed is still the plan previewed.
"""

import enum
import hashlib
import re
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from scheduler.forms import CONTROL_CHARACTERS, LANDLINE_PHONE, MOBILE_PHONE, TOO_LONG, normalise_phone
from scheduler.importing.files import SpreadsheetError, Table
from scheduler.models import Building
from scheduler.spreadsheets import Sheet

REQUIRED_MARK = _l("(required)")
YES_WORDS = {"是", "有", "y", "yes", "true", "1", "√", "✓", "对"}
NO_WORDS = {"否", "无", "没有", "n", "no", "false", "0", "×", "x"}


def header_key(text: str) -> str:
    """A header reduced to what matters for matching: no case, spaces, marks or bracketed notes."""
    text = unicodedata.normalize("NFKC", str(text)).lower()
    text = re.sub(r"\(.*?\)|\[.*?\]|【.*?】|\*", "", text)
    return re.sub(r"[\s_\-:：.·…]", "", text)


@dataclass(frozen=True)
class Column:
    key: str
    label: Any  # a lazy string: the header the template writes, in the station's language
    required: bool = False
    example: str = ""
    note: Any = ""
    aliases: tuple[str, ...] = ()

    def names(self) -> set[str]:
        """Every header this column is known by: its label in each language, its key, its aliases."""
        names = {self.key, *self.aliases}
        for language in ("zh", "en"):
            with force_locale(language):
                names.add(str(self.label))
        return {header_key(name) for name in names}

    @property
    def template_header(self) -> str:
        return f"{self.label}{REQUIRED_MARK}" if self.required else str(self.label)


def match_headers(headers: list[str], columns: list[Column]) -> tuple[dict[str, int], list[str]]:
    """Where each column is in the file, and the headers no column is known by (ignored)."""
    known = {name: column for column in columns for name in column.names()}
    positions: dict[str, int] = {}
    ignored = []
    for index, header in enumerate(headers):
        if not header:
            continue
        column = known.get(header_key(header))
        if column is None:
            ignored.append(header)
        elif column.key in positions:
            raise SpreadsheetError(_("The column “%(name)s” appears twice. Keep one.", name=header))
        else:
            positions[column.key] = index
    missing = [str(column.label) for column in columns if column.required and column.key not in positions]
    if missing:
        raise SpreadsheetError(
            _(
                "The file has no column %(names)s. The first row must hold the column names of the template.",
                names="、".join(f"“{name}”" for name in missing),
            )
        )
    return positions, ignored


class Action(enum.StrEnum):
    NEW = "new"
    UPDATE = "update"
    SAME = "same"  # matches a record and changes nothing
    INVALID = "invalid"

    @property
    def label(self) -> str:
        return str(ACTION_LABELS[self])


ACTION_LABELS = {
    Action.NEW: _l("Will be added"),
    Action.UPDATE: _l("Will be updated"),
    Action.SAME: _l("Unchanged"),
    Action.INVALID: _l("Has problems"),
}


@dataclass
class Problem:
    row: int
    column: str
    message: str


@dataclass
class PlannedRow:
    number: int
    shown: dict[str, str]  # per column key: the value as it will be saved, as text
    values: dict[str, Any]  # per attribute: the typed value to save
    problems: list[Problem] = field(default_factory=list)
    record: Any = None  # the existing record it updates
    changed: set[str] = field(default_factory=set)  # column keys whose value changes
    keys: tuple = ()  # what identifies the record within the file (for duplicates)

    @property
    def action(self) -> Action:
        if self.problems:
            return Action.INVALID
        if self.record is None:
            return Action.NEW
        return Action.UPDATE if self.changed else Action.SAME


class RowChecker:
    """Reads one row's cells into typed values, noting each problem with its column."""

    def __init__(
        self, number: int, cells: dict[str, str], columns: dict[str, Column], words: dict[bool, str]
    ):
        self.number = number
        self.cells = cells
        self.columns = columns
        self.words = words  # 是 and 否 in the page's language, looked up once per file
        self.problems: list[Problem] = []
        self.shown: dict[str, str] = {}

    def problem(self, key: str, message) -> None:
        """``message`` is text, a lazy string or a function making it: only a problem pays for it."""
        text = message() if callable(message) else message
        self.problems.append(Problem(self.number, str(self.columns[key].label), str(text)))

    def _cell(self, key: str) -> str:
        """The cell's text, shown as it is; an empty required cell is a problem."""
        text = self.cells.get(key, "").strip()
        self.shown[key] = text
        if not text and self.columns[key].required:
            self.problem(key, _("Required: this cell must not be empty."))
        return text

    def text(self, key: str, max_length: int) -> str:
        value = self._cell(key)
        if len(value) > max_length:
            self.problem(key, TOO_LONG % {"max": max_length})
        elif CONTROL_CHARACTERS.search(value):
            self.problem(key, _("Remove the invisible control characters from this text."))
        return value

    def phone(self, key: str) -> str:
        value = normalise_phone(self.cells.get(key, "").strip())
        self.shown[key] = value
        if not value and self.columns[key].required:
            self.problem(key, _("Required: this cell must not be empty."))
        elif value and not (MOBILE_PHONE.match(value) or LANDLINE_PHONE.match(value)):
            self.problem(
                key,
                _(
                    "“%(value)s” is not a phone number: write 11 digits, or a landline with its area code.",
                    value=value,
                ),
            )
        return value

    def flag(self, key: str, default: bool) -> bool:
        text = self.cells.get(key, "").strip()
        word = text.lower()
        value = default
        if word in YES_WORDS:
            value = True
        elif word in NO_WORDS:
            value = False
        elif text:
            self.problem(key, _("Write 是 or 否, not “%(value)s”.", value=text))
        self.shown[key] = self.words[value]
        return value

    def whole_number(self, key: str, low: int, high: int, message) -> int | None:
        text = self._cell(key)
        if not text:
            return None
        try:
            value = int(text)
        except ValueError:
            self.problem(key, message)
            return None
        if not low <= value <= high:
            self.problem(key, message)
            return None
        return value

    def choice(self, key: str, options: dict[str, Any], message, default=None):
        """One of ``options`` (keyed by ``header_key`` of each accepted spelling)."""
        text = self._cell(key)
        if not text:
            return default
        value = options.get(header_key(text))
        if value is None:
            self.problem(key, message)
        return value

    def present(self, values: dict[str, Any], attributes: dict[str, str]) -> dict[str, Any]:
        """The values of the columns the file has, by attribute: a column it lacks changes nothing."""
        return {attributes.get(key, key): value for key, value in values.items() if key in self.cells}

    def changed(self, record, values: dict[str, Any], attributes: dict[str, str]) -> set[str]:
        """The columns whose value differs from ``record``'s."""
        return {
            key
            for key in self.cells
            if attributes.get(key, key) in values
            and getattr(record, attributes.get(key, key)) != values[attributes.get(key, key)]
        }

    def row(self, values: dict[str, Any], keys: tuple = ()) -> PlannedRow:
        return PlannedRow(self.number, self.shown, values, self.problems, keys=keys)


def spellings(pairs: Iterable[tuple[Any, Iterable[str]]]) -> dict[str, Any]:
    """A choice's accepted spellings: for each value, its labels in both languages and more."""
    options = {}
    for value, names in pairs:
        for name in names:
            for language in ("zh", "en"):
                with force_locale(language):
                    options[header_key(str(name))] = value
    return options


def building_spellings(buildings: list[Building]) -> dict[str, Building]:
    """How a register may write a building: its name, and for "5号楼" also 5, 5号, 5栋, 5幢."""
    spellings = {}
    for building in buildings:
        spellings[header_key(building.name)] = building
        number = re.fullmatch(r"(\d+)\s*号楼", building.name)
        if number:
            digits = str(int(number.group(1)))
            for spelling in (digits, f"{digits}号", f"{digits}栋", f"{digits}幢", f"{digits}号楼"):
                spellings.setdefault(header_key(spelling), building)
    return spellings


def unknown_building(buildings: list[Building], text: str) -> str:
    names = [building.name for building in buildings]
    known = f"{names[0]} … {names[-1]}" if len(names) > 2 else "、".join(names)
    return _("There is no building “%(name)s” in this station (it has %(known)s).", name=text, known=known)


class Importer(ABC):
    """One kind of record that comes in from spreadsheets. Subclasses fill in the blanks."""

    kind = ""  # in file names and upload records: "residents", "accounts"
    blueprint = ""  # whose import_upload, import_preview and import_template pages serve it
    columns: list[Column] = []

    @abstractmethod
    def title(self) -> str: ...

    @abstractmethod
    def template_filename(self) -> str: ...

    @abstractmethod
    def prepare(self, station_id: int, table: Table, positions: dict[str, int]):
        """Load once whatever the rows are checked against (existing records, buildings)."""

    @abstractmethod
    def check_row(self, checker: RowChecker, context) -> PlannedRow: ...

    @abstractmethod
    def save(self, rows: list[PlannedRow], station_id: int, user) -> Any:
        """Add the plan's new and changed rows to the session (the caller commits)."""

    def template(self) -> list[Sheet]:
        """The template: the columns with one example row, and a sheet that says what each takes."""
        headers = [column.template_header for column in self.columns]
        notes = Sheet(
            _("How to fill in"),
            [_("Column"), _("Required"), _("What to write")],
            [[str(column.label), column.required, str(column.note)] for column in self.columns],
        )
        return [Sheet(self.title(), headers, [[column.example for column in self.columns]]), notes]


@dataclass
class Plan:
    columns: list[Column]  # those the file has, in the importer's order
    rows: list[PlannedRow]
    ignored_headers: list[str]

    def count(self, action: Action) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def counts(self) -> dict[Action, int]:
        return {action: self.count(action) for action in Action}

    @property
    def problems(self) -> list[Problem]:
        return [problem for row in self.rows for problem in row.problems]

    @property
    def to_write(self) -> list[PlannedRow]:
        return [row for row in self.rows if row.action in (Action.NEW, Action.UPDATE)]

    def fingerprint(self) -> str:
        """Changes whenever what a confirm would write changes (the file or the records it matches)."""
        digest = hashlib.sha256()
        for row in self.rows:
            record_id = getattr(row.record, "id", None)
            digest.update(repr((row.number, row.action.value, record_id, sorted(row.shown.items()))).encode())
        return digest.hexdigest()


def build_plan(importer: Importer, table: Table, station_id: int) -> Plan:
    positions, ignored = match_headers(table.headers, importer.columns)
    columns = {column.key: column for column in importer.columns}
    context = importer.prepare(station_id, table, positions)
    rows = []
    first_seen: dict[tuple, int] = {}
    words = {True: _("yes"), False: _("no")}
    for number, values in table.rows:
        cells = {key: values[index] if index < len(values) else "" for key, index in positions.items()}
        row = importer.check_row(RowChecker(number, cells, columns, words), context)
        for key in row.keys:
            if key in first_seen:
                column_key, *_rest = key
                row.problems.append(
                    Problem(
                        number,
                        str(columns[column_key].label),
                        _(
                            "The same person as in row %(row)d: keep one of the two rows.",
                            row=first_seen[key],
                        ),
                    )
                )
                break
        for key in row.keys:
            first_seen.setdefault(key, number)
        rows.append(row)
    return Plan([column for column in importer.columns if column.key in positions], rows, ignored)
