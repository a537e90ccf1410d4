"""Forms of notices: a person's channels, the station's robots, the test button, the list filter."""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectChoice, SelectField, StringField, TimeField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from scheduler.forms import NoControlCharacters, strip_text
from scheduler.models import CHANNEL_LABELS, DELIVERY_STATE_LABELS, Channel
from scheduler.models.outbox import EVENT_KIND_LABELS

EMAIL = Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Enter an e-mail address like name@example.com."))
WEB_ADDRESS = re.compile(r"^https?://[^\s/?#]+[^\s]*$")


class WebAddress:
    message = _l("Paste the whole address, starting with https://")

    def __call__(self, form, field):
        if field.data and not WEB_ADDRESS.match(field.data):
            raise ValidationError(self.message)


class ChoicesForm(FlaskForm):
    """How a person hears of things (in-app notices are always on)."""

    by_wecom = BooleanField(_l("In the station's WeCom group"))
    by_dingtalk = BooleanField(_l("In the station's DingTalk group"))
    by_email = BooleanField(_l("By e-mail"))
    by_webhook = BooleanField(_l("By text message"))
    email = StringField(
        _l("E-mail address"),
        filters=[strip_text],
        validators=[Optional(), Length(max=120), EMAIL],
    )
    mention_consent = BooleanField(
        _l("The group robots may @-mention my mobile number"),
        description=_l("Without this, group messages do not name you."),
    )
    quiet_start = TimeField(
        _l("Quiet from"), validators=[DataRequired(message=_l("Enter a time like 22:00."))]
    )
    quiet_end = TimeField(
        _l("Quiet until"), validators=[DataRequired(message=_l("Enter a time like 07:00."))]
    )

    CHANNEL_FIELDS = {
        Channel.WECOM: "by_wecom",
        Channel.DINGTALK: "by_dingtalk",
        Channel.EMAIL: "by_email",
        Channel.WEBHOOK: "by_webhook",
    }

    def chosen(self, offered: list[Channel]) -> set[Channel]:
        return {channel for channel in offered if self[self.CHANNEL_FIELDS[channel]].data}


class StationChannelsForm(FlaskForm):
    """The station's robots. Saved values are never put back in the fields."""

    wecom_webhook = StringField(
        _l("WeCom group robot address"),
        filters=[strip_text],
        validators=[Optional(), Length(max=500), WebAddress()],
        description=_l("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…"),
    )
    dingtalk_webhook = StringField(
        _l("DingTalk group robot address"),
        filters=[strip_text],
        validators=[Optional(), Length(max=500), WebAddress()],
        description=_l("https://oapi.dingtalk.com/robot/send?access_token=…"),
    )
    dingtalk_secret = PasswordField(
        _l("DingTalk signing secret"),
        filters=[strip_text],
        validators=[Optional(), Length(max=200), NoControlCharacters()],
        description=_l("Starts with SEC; shown when you choose “sign” as the robot's security setting."),
    )
    webhook_url = StringField(
        _l("Webhook address (SMS gateway or other)"),
        filters=[strip_text],
        validators=[Optional(), Length(max=500), WebAddress()],
    )
    webhook_secret = PasswordField(
        _l("Webhook signing secret"),
        filters=[strip_text],
        validators=[Optional(), Length(max=200), NoControlCharacters()],
    )
    clear_wecom_webhook = BooleanField(_l("Remove"))
    clear_dingtalk_webhook = BooleanField(_l("Remove"))
    clear_dingtalk_secret = BooleanField(_l("Remove"))
    clear_webhook_url = BooleanField(_l("Remove"))
    clear_webhook_secret = BooleanField(_l("Remove"))


class TestMessageForm(FlaskForm):
    channel = SelectField(
        _l("Chat"),
        choices=[
            SelectChoice(channel.value, CHANNEL_LABELS[channel])
            for channel in (Channel.WECOM, Channel.DINGTALK, Channel.WEBHOOK)
        ],
    )


class DeliveryFilterForm(FlaskForm):
    """A GET form above the list of deliveries, so a filtered list can be bookmarked."""

    class Meta:
        csrf = False

    state = SelectField(_l("State"), validators=[Optional()])
    channel = SelectField(_l("Channel"), validators=[Optional()])
    event = SelectField(_l("Kind"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        everything = SelectChoice("", _l("All"))
        self.state.choices = [everything] + [
            SelectChoice(state.value, label) for state, label in DELIVERY_STATE_LABELS.items()
        ]
        self.channel.choices = [everything] + [
            SelectChoice(channel.value, label) for channel, label in CHANNEL_LABELS.items()
        ]
        self.event.choices = [everything] + [
            SelectChoice(kind, label) for kind, label in EVENT_KIND_LABELS.items()
        ]
