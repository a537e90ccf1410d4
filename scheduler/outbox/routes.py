"""Notices: the admin's view of deliveries, a person's channels, the station's robots."""

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from scheduler.access import current_station_id, get_in_station_or_404, roles_required
from scheduler.auth.routes import safe_next_url
from scheduler.extensions import db
from scheduler.models import STATION_ROLES, Channel, Delivery, Role, Station
from scheduler.models.outbox import shown
from scheduler.outbox.blueprint import bp
from scheduler.outbox.forms import ChoicesForm, DeliveryFilterForm, StationChannelsForm, TestMessageForm
from scheduler.outbox.queries import offered_channels, station_channels_context, station_deliveries
from scheduler.outbox.queue import settings_for
from scheduler.outbox.services import (
    STATION_FIELDS,
    retry,
    save_choices,
    save_station_channels,
    send_test_message,
)
from scheduler.rendering import form_status, render
from scheduler.rules import RuleViolation


@bp.get("/")
@roles_required(Role.ADMIN)
def deliveries():
    filters = DeliveryFilterForm(request.args)
    filters.validate()
    rows = station_deliveries(
        current_station_id(), filters.state.data or "", filters.channel.data or "", filters.event.data or ""
    )
    return render("notices/deliveries.html", block="results", deliveries=rows, filters=filters)


@bp.post("/<id:delivery_id>/retry")
@roles_required(Role.ADMIN)
def retry_delivery(delivery_id: int):
    try:
        retry(get_in_station_or_404(Delivery, delivery_id))
    except RuleViolation as violation:
        flash(violation.message, "error")
    else:
        flash(_("Queued again: it goes out within a minute."), "success")
    # Back to the list as it was filtered, which the form names (never another site).
    return redirect(safe_next_url(request.form.get("next")) or url_for("notices.deliveries"))


@bp.route("/settings", methods=["GET", "POST"])
@roles_required(*STATION_ROLES)
def my_settings():
    settings = settings_for(current_user.id)
    offered = offered_channels(current_user.station_id)
    form = ChoicesForm(
        data=None
        if request.method == "POST"
        else {
            **{ChoicesForm.CHANNEL_FIELDS[c]: settings.wants(c) for c in ChoicesForm.CHANNEL_FIELDS},
            "email": settings.email,
            "mention_consent": settings.mention_consent_at is not None,
            "quiet_start": settings.quiet_start,
            "quiet_end": settings.quiet_end,
        }
    )
    if form.validate_on_submit():
        try:
            save_choices(
                current_user,
                offered=offered,
                email=form.email.data or "",
                channels=form.chosen(offered),
                mention_consent=form.mention_consent.data,
                quiet_start=form.quiet_start.data,
                quiet_end=form.quiet_end.data,
            )
        except RuleViolation as violation:
            violation.attach_to(form)
        else:
            flash(_("Your notice settings are saved."), "success")
            return redirect(url_for("me.home"))
    return render("notices/settings.html", form=form, offered=offered, status=form_status(form))


@bp.route("/station", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def station_channels():
    station = db.get_or_404(Station, current_station_id())
    form = StationChannelsForm()
    if form.validate_on_submit():
        values = {name: form[name].data or "" for name in STATION_FIELDS}
        clear = {name for name in STATION_FIELDS if form[f"clear_{name}"].data}
        save_station_channels(station.id, values, clear)
        flash(_("Notice channels saved."), "success")
        return redirect(url_for("people.my_station"))
    return render(
        "notices/station.html",
        station=station,
        status=form_status(form),
        **station_channels_context(station, form if request.method == "POST" else None),
    )


@bp.post("/station/test")
@roles_required(Role.ADMIN)
def test_message():
    station = db.get_or_404(Station, current_station_id())
    form = TestMessageForm()
    if not form.validate_on_submit():
        flash(_("Choose a chat of the station."), "error")
        return redirect(url_for("people.my_station"))
    channel = Channel(form.channel.data)
    try:
        tally = send_test_message(station, channel, current_user)
    except RuleViolation as violation:
        flash(violation.message, "error")
    else:
        if tally.sent:
            flash(_("Test message sent to the %(chat)s. Look in the chat.", chat=channel.label), "success")
        else:
            error = shown(tally.errors[0]) if tally.errors else ""
            flash(
                _("The %(chat)s did not take the test message: %(error)s", chat=channel.label, error=error),
                "error",
            )
    return redirect(url_for("people.my_station"))
