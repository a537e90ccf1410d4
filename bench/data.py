"""Benchmark data: the demo compound, then copies of it until it is a whole street.

Copying is generic over the schema: every row that belongs to the demo station
(directly through ``station_id`` or through rows that do) is inserted again with
new ids, foreign keys remapped, and unique strings made unique. So the copies
grow with the schema and nobody has to keep a second data generator in step.
"""

import secrets

import sqlalchemy as sa

from scheduler.extensions import db


def _unique_string_columns(table: sa.Table) -> set[str]:
    names = {c.name for c in table.columns if c.unique}
    for constraint in table.constraints:
        if isinstance(constraint, sa.UniqueConstraint) and len(constraint.columns) == 1:
            names |= {c.name for c in constraint.columns}
    for index in table.indexes:
        if index.unique and len(index.columns) == 1:
            names |= {c.name for c in index.columns}
    return {n for n in names if isinstance(table.c[n].type, sa.String)}


def _fresh_value(column: sa.Column, value: str, copy_number: int) -> str:
    length = column.type.length or 64
    candidate = f"{value}-{copy_number}"
    if len(candidate) <= length:
        return candidate
    return secrets.token_hex(length)[:length]


def clone_station(source_station_id: int, copy_number: int) -> int:
    """Insert one copy of everything the station owns; returns the new station id."""
    id_maps: dict[str, dict[int, int]] = {}
    for table in db.metadata.sorted_tables:
        if "id" not in table.c:
            continue
        foreign = {fk.parent.name: fk.column.table.name for fk in table.foreign_keys}
        if table.name == "station":
            rows = db.session.execute(sa.select(table).where(table.c.id == source_station_id)).mappings()
        elif "station_id" in table.c:
            rows = db.session.execute(
                sa.select(table).where(table.c.station_id == source_station_id).order_by(table.c.id)
            ).mappings()
        else:
            owners = [
                table.c[column].in_(list(id_maps[parent]))
                for column, parent in foreign.items()
                if id_maps.get(parent)
            ]
            if not owners:
                continue
            rows = db.session.execute(sa.select(table).where(sa.or_(*owners)).order_by(table.c.id)).mappings()
        unique_strings = _unique_string_columns(table)
        mapping = id_maps.setdefault(table.name, {})
        for row in rows.all():
            values = dict(row)
            old_id = values.pop("id")
            for column, parent in foreign.items():
                if values[column] is not None and values[column] in id_maps.get(parent, {}):
                    values[column] = id_maps[parent][values[column]]
            for column in unique_strings:
                if values[column]:
                    values[column] = _fresh_value(table.c[column], values[column], copy_number)
            mapping[old_id] = db.session.execute(
                sa.insert(table).values(**values).returning(table.c.id)
            ).scalar_one()
    db.session.commit()
    return id_maps["station"][source_station_id]


def row_count() -> int:
    return sum(
        db.session.scalar(sa.select(sa.func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    )
