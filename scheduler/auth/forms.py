from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from scheduler.auth.passwords import password_problem
from scheduler.forms import strip_text


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), filters=[strip_text], validators=[DataRequired(), Length(max=40)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me signed in on this device (30 days)"))


class StrongPassword:
    """Applies the password policy; the username comes from the form or the account."""

    def __init__(self, username_field: str | None = None):
        self.username_field = username_field

    def __call__(self, form, field):
        username = getattr(form, "account_username", "")
        if self.username_field:
            username = form[self.username_field].data or ""
        problem = password_problem(field.data or "", username)
        if problem:
            raise ValidationError(problem)


class NewPasswordForm(FlaskForm):
    """A new password, typed twice, under the password policy (e.g. through an invitation link)."""

    new_password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(max=200), StrongPassword()]
    )
    confirm_password = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new_password", _l("The two passwords differ."))],
    )

    def __init__(self, account_username: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.account_username = account_username


class ChangePasswordForm(NewPasswordForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
