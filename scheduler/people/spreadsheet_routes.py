"""Accounts in and out of Excel (admins): the .xlsx download, and the import with invitation links."""

import segno
from flask import current_app
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from scheduler.access import current_station_id, roles_required
from scheduler.importing import views
from scheduler.models import Role
from scheduler.people.blueprint import bp
from scheduler.people.spreadsheets import AccountsImporter, accounts_sheet, station_accounts
from scheduler.rendering import private, render
from scheduler.spreadsheets import xlsx_download

IMPORTER = AccountsImporter()
# A QR code takes milliseconds to make: a sheet of more slips than this (50 A4 pages) lists links only.
QR_SLIPS_AT_MOST = 300


@bp.get("/accounts.xlsx")
@roles_required(Role.ADMIN)
def accounts_download():
    return xlsx_download(
        [accounts_sheet(station_accounts(current_station_id()))], "accounts.xlsx", _("accounts.xlsx")
    )


@bp.route("/import", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def import_upload():
    return views.upload_page(IMPORTER)


@bp.get("/import/template.xlsx")
@roles_required(Role.ADMIN)
def import_template():
    return views.template_download(IMPORTER)


@bp.route("/import/<upload_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def import_preview(upload_id: str):
    return views.preview_page(IMPORTER, upload_id, invitation_sheet)


def link_qr(link: str, title: str) -> Markup:
    # The mask is fixed: choosing the best of eight triples the time, and a sheet may hold hundreds.
    # segno escapes the title it writes into the SVG, so the markup is safe to embed.
    return Markup(segno.make(link, error="m", mask=0).svg_inline(scale=6, omitsize=True, title=title))


def invitation_sheet(plan, invited):
    """Every new person's link, once, as a sheet to print (the tokens are stored hashed only)."""
    with_qr = len(invited) <= QR_SLIPS_AT_MOST
    return private(
        render(
            "people/invitation_sheet.html",
            invited=[
                (entry, entry.link, link_qr(entry.link, entry.display_name) if with_qr else None)
                for entry in invited
            ],
            with_qr=with_qr,
            qr_limit=QR_SLIPS_AT_MOST,
            station_name=current_user.station.name,
            updated=len(plan.to_write) - len(invited),
            valid_hours=current_app.config.get("INVITATION_VALID_HOURS", 72),
        )
    )
