"""The register in and out of Excel: import (staff) and the .xlsx download (staff)."""

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from scheduler.access import current_station_id, roles_required
from scheduler.importing import views
from scheduler.models import STAFF_ROLES
from scheduler.spreadsheets import xlsx_download
from scheduler.visits.blueprint import bp
from scheduler.visits.privacy import shows_personal_data
from scheduler.visits.services import log
from scheduler.visits.spreadsheets import RegisterImporter, register_sheet, station_register

IMPORTER = RegisterImporter()


@bp.route("/import", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def import_upload():
    return views.upload_page(IMPORTER)


@bp.get("/import/template.xlsx")
@roles_required(*STAFF_ROLES)
def import_template():
    return views.template_download(IMPORTER)


@bp.route("/import/<upload_id>", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def import_preview(upload_id: str):
    shows_personal_data()
    return views.preview_page(IMPORTER, upload_id, imported)


def imported(plan, result):
    flash(
        _(
            "Imported: %(created)d residents registered, %(updated)d updated.",
            created=result["created"],
            updated=result["updated"],
        ),
        "success",
    )
    return redirect(url_for("visits.beneficiaries"))


@bp.get("/register.xlsx")
@roles_required(*STAFF_ROLES)
def register_download():
    residents = station_register(current_station_id())
    log.info("register of %d residents downloaded by user %s", len(residents), current_user.id)
    return xlsx_download([register_sheet(residents)], "residents-in-care.xlsx", _("residents-in-care.xlsx"))
