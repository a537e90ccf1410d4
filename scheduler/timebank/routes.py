"""Time bank pages: a person's balance on /me, the station's ledger, redeeming, rates, the rules."""

import csv
import io

import sqlalchemy as sa
from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from scheduler.access import current_station_id, roles_required
from scheduler.extensions import db
from scheduler.menu.services import station_scope
from scheduler.models import STAFF_ROLES, Role, Station
from scheduler.public_cache import Built, serve_public
from scheduler.rendering import form_status, private, render
from scheduler.rules import RuleViolation
from scheduler.shifts.weeks import to_local
from scheduler.spreadsheets import Sheet, download, spreadsheet_text, xlsx_download
from scheduler.timebank import queries, services
from scheduler.timebank.blueprint import bp
from scheduler.timebank.forms import RedeemForm, field_name, in_hundredths, rates_form

UTF8_BOM = "\ufeff"


def home_section_context(user) -> dict:
    return {"balance": services.balance(user.id), "entries": queries.history(user.id)}


@bp.get("/timebank/")
@roles_required(*STAFF_ROLES)
def ledger():
    station_id = current_station_id()
    page = queries.ledger_page(station_id)
    return private(
        render(
            "timebank/ledger.html",
            page=page,
            sources=queries.source_labels(page.items),
            outstanding=queries.station_outstanding(station_id),
        )
    )


@bp.route("/timebank/redeem", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def redeem():
    station_id = current_station_id()
    form = RedeemForm()
    form.user_id.choices = [("", _("Choose a person"))] + [
        (user.id, f"{user.display_name} ({services.credits_text(value)})")
        for user, value in queries.balances(station_id)
        if value > 0
    ]
    if form.validate_on_submit():
        try:
            entry = services.redeem(
                station_id,
                form.user_id.data,
                in_hundredths(form.credits.data),
                form.what_for.data,
                current_user,
            )
        except RuleViolation as violation:
            violation.attach_to(form)
        else:
            flash(
                _(
                    "%(credits)s credits of %(name)s redeemed for %(what)s.",
                    credits=services.credits_text(-entry.hundredths),
                    name=entry.user.display_name,
                    what=entry.note,
                ),
                "success",
            )
            return redirect(url_for("timebank.ledger"))
    return private(render("timebank/redeem.html", form=form, status=form_status(form)))


@bp.route("/timebank/rates", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def rates():
    station_id = current_station_id()
    works = services.work_kinds()
    current = services.rates(station_id)
    form = rates_form(works, data={field_name(work): current[work] / 100 for work, _label in works})
    if form.validate_on_submit():
        chosen = {work: in_hundredths(form[field_name(work)].data) for work, _label in works}
        try:
            services.set_rates(station_id, chosen)
        except RuleViolation as violation:
            violation.attach_to(form)
        else:
            flash(_("Rates saved. They count for credit earned from now on."), "success")
            return redirect(url_for("timebank.ledger"))
    fields = [form[field_name(work)] for work, _label in works]
    return private(render("timebank/rates.html", form=form, fields=fields, status=form_status(form)))


def ledger_sheet(station_id: int) -> Sheet:
    entries = list(queries.all_entries(station_id))
    sources = queries.source_labels(entries)
    return Sheet(
        _("Time bank"),
        [_("When"), _("Name"), _("Entry"), _("Credits"), _("For"), _("Recorded by")],
        [
            [
                entry.created_at,
                entry.user.display_name,
                entry.kind.label,
                queries.in_credits(entry.hundredths),
                sources[entry.id],
                entry.recorded_by.display_name if entry.recorded_by else "",
            ]
            for entry in entries
        ],
    )


@bp.get("/timebank/ledger.xlsx")
@roles_required(*STAFF_ROLES)
def ledger_xlsx():
    return xlsx_download([ledger_sheet(current_station_id())], "time-bank.xlsx", _("time-bank.xlsx"))


@bp.get("/timebank/ledger.csv")
@roles_required(*STAFF_ROLES)
def ledger_csv():
    sheet = ledger_sheet(current_station_id())
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(sheet.headers)
    for when, *rest in sheet.rows:
        writer.writerow(
            [to_local(when).strftime("%Y-%m-%d %H:%M")]
            + [spreadsheet_text(value) if isinstance(value, str) else value for value in rest]
        )
    data = (UTF8_BOM + buffer.getvalue()).encode("utf-8")
    return download(data, "text/csv; charset=utf-8", "time-bank.csv", _("time-bank.csv"))


@bp.get("/s/<slug>/time-bank")
def rules(slug: str):
    """The rules residents and volunteers read: cached with the station's other public pages
    (a change of rates bumps the station's public version)."""
    with db.engine.connect() as connection:
        scope = station_scope(connection, slug)
    if scope is None:
        abort(404)

    def build() -> Built:
        station = db.first_or_404(sa.select(Station).where(Station.slug == slug, Station.active))
        per_hour = services.rates(station.id)
        works = [(label, per_hour[work]) for work, label in services.work_kinds()]
        return Built(render("timebank/rules.html", station=station, rates=works))

    return serve_public(scope, build)
