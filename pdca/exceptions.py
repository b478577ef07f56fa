"""The one domain exception every rule raises.

Views turn it into a form error or a flash message, the API into a JSON body
(400, or 409 for conflicts). Nothing else translates rule violations.
"""


class RuleViolation(Exception):
    """A rule of DESIGN.md refused an action; nothing was changed."""

    status_code = 400

    def __init__(self, message, field=None, errors=None):
        super().__init__(message)
        self.message = message
        self.field = field
        # {field: [messages]} when several fields are at fault.
        self.errors = errors or ({field: [message]} if field else {})

    def as_dict(self):
        body = {"detail": self.message}
        if self.errors:
            body["errors"] = self.errors
        return body


class Conflict(RuleViolation):
    """Somebody else changed the object first, or the transition already happened."""

    status_code = 409


class NotAllowed(RuleViolation):
    """The user may not do this to this object."""

    status_code = 403


def refuse(refusal):
    """Raise `NotAllowed` with a permissions predicate's answer, if it refuses
    ('' if the user may): `refuse(permissions.edit_refusal(user, plan))`."""
    if refusal:
        raise NotAllowed(refusal)
