"""The error every business rule raises when it refuses an action."""


class RuleViolation(Exception):
    """``field`` names the form field to blame; None means the whole action.

    Routes show the message next to that field (or as a 409 fragment for htmx);
    a refused rule is never a 500.
    """

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def attach_to(self, form) -> None:
        """Show the message next to its field, or among the form's own errors."""
        field = form._fields.get(self.field) if self.field else None
        if field is not None:
            field.errors = [*field.errors, self.message]
        else:
            form.form_errors.append(self.message)
