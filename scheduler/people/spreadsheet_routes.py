"""Accounts in and out of Excel (admins): the .xlsx download, and the import with invitation links."""

from flask_babel import gettext as _

from scheduler.access import current_station_id, roles_required
from scheduler.models import Role
from scheduler.people.blueprint import bp
from scheduler.people.spreadsheets import accounts_sheet, station_accounts
from scheduler.spreadsheets import xlsx_download


@bp.get("/accounts.xlsx")
@roles_required(Role.ADMIN)
def accounts_download():
    return xlsx_download(
        [accounts_sheet(station_accounts(current_station_id()))], "accounts.xlsx", _("accounts.xlsx")
    )
