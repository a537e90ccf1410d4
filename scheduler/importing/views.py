"""The import pages every kind shares: upload, preview, confirm, and the template download.

An area's routes guard the addresses with their roles and call these with their
``Importer``; the importer's ``blueprint`` names where its pages live
(``<blueprint>.import_upload``, ``.import_preview``, ``.import_template``).
"""

from collections.abc import Callable

from flask import current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy.exc import IntegrityError
from wtforms import BooleanField, HiddenField

from scheduler.access import current_station_id
from scheduler.extensions import db
from scheduler.importing.files import MAX_BYTES, MAX_ROWS, SpreadsheetError, read_table
from scheduler.importing.plan import Importer, Plan, build_plan
from scheduler.importing.store import discard_upload, load_upload, save_upload
from scheduler.rendering import form_status, private, render
from scheduler.spreadsheets import xlsx_download


class UploadForm(FlaskForm):
    file = FileField(
        _l("Spreadsheet file (.xlsx or .csv)"),
        validators=[FileRequired(message=_l("Choose the file to import."))],
        render_kw={"accept": ".xlsx,.csv"},
    )


class ConfirmForm(FlaskForm):
    fingerprint = HiddenField()
    skip_invalid = BooleanField(_l("Leave out the rows with problems and import the rest"))


def _endpoint(importer: Importer, page: str) -> str:
    return f"{importer.blueprint}.import_{page}"


def upload_page(importer: Importer):
    """GET: the form, the template link and the limits. POST: read the file, keep it, show the preview."""
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read(MAX_BYTES + 1)
        try:
            table = read_table(data, upload.filename or "")
            build_plan(importer, table, current_station_id())
        except SpreadsheetError as error:
            form.file.errors = [error.message]
        else:
            upload_id = save_upload(importer.kind, upload.filename or "", table, current_user)
            return redirect(url_for(_endpoint(importer, "preview"), upload_id=upload_id))
    return private(
        render(
            "importing/upload.html",
            form=form,
            importer=importer,
            max_rows=MAX_ROWS,
            max_megabytes=MAX_BYTES // (1024 * 1024),
            status=form_status(form),
        )
    )


def _load_plan(importer: Importer, upload_id: str) -> tuple[Plan | None, str]:
    upload = load_upload(importer.kind, upload_id, current_user)
    if upload is None:
        return None, ""
    try:
        return build_plan(importer, upload.table, current_station_id()), upload.filename
    except SpreadsheetError:
        return None, upload.filename


def _gone(importer: Importer):
    flash(_("That upload has expired or was already imported. Upload the file again."), "warning")
    return redirect(url_for(_endpoint(importer, "upload")))


def preview_page(importer: Importer, upload_id: str, on_done: Callable):
    """GET: every row as it will be saved and every problem. POST: write it all, or nothing."""
    plan, filename = _load_plan(importer, upload_id)
    if plan is None:
        return _gone(importer)
    form = ConfirmForm()
    if form.validate_on_submit():
        if form.fingerprint.data != plan.fingerprint():
            form.form_errors.append(
                _("The records changed since this preview was made. Check the preview again, then confirm.")
            )
        elif plan.problems and not form.skip_invalid.data:
            form.skip_invalid.errors = [
                _("Some rows have problems. Fix them in the file and upload it again, or leave them out.")
            ]
        else:
            try:
                result = importer.save(plan.to_write, current_station_id(), current_user)
                db.session.commit()
            except IntegrityError:
                # Someone saved a clashing record between the check and the write: nothing is kept.
                db.session.rollback()
                form.form_errors.append(
                    _("The records changed while importing; nothing was saved. Check the preview again.")
                )
            else:
                discard_upload(upload_id)
                current_app.logger.info(
                    "import of %s by user %s: %d rows written",
                    importer.kind,
                    current_user.id,
                    len(plan.to_write),
                )
                return on_done(plan, result)
            plan, filename = _load_plan(importer, upload_id)
            if plan is None:
                return _gone(importer)
    form.fingerprint.data = plan.fingerprint()
    return private(
        render(
            "importing/preview.html",
            form=form,
            importer=importer,
            plan=plan,
            filename=filename,
            upload_id=upload_id,
            status=form_status(form),
        )
    )


def template_download(importer: Importer):
    return xlsx_download(importer.template(), f"{importer.kind}-template.xlsx", importer.template_filename())
