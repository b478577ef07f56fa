"""The pages' one translation of a refused action.

A service refuses with a `RuleViolation`; a page shows the refusal where the
user looks: on the form (per field where the form has the field, the overall
message on top), or as a message on the page the user is sent back to. Views
write

    with attempt(form) as outcome:
        services.do_something(...)
        messages.success(request, ...)
        return redirect(...)
    return render(request, template, context, status=outcome.status)

and never catch `RuleViolation` themselves. A refusal leaves the block
(nothing after the service call in it runs), and `outcome` says what happened.

Who may act is asked before what was sent: a view whose form is validated
before the service runs asks the permissions predicate first,

    outcome = attempt(form)
    if request.method == "POST" and outcome.allows(permissions.x_refusal(...)) and form.is_valid():
        with outcome:
            ...

so that somebody who may not act is told why (403) whatever the form holds,
not which field is missing. A form that is not valid answers 400.
"""

from django.contrib import messages
from django.forms.utils import ErrorDict

from .exceptions import NotAllowed, RuleViolation


class Outcome:
    """What became of an attempted change: `refusal` is the `RuleViolation`
    (None when it went through) and `status` the HTTP status to answer with."""

    def __init__(self, form=None, request=None):
        self.form = form
        self.request = request
        self.refusal = None

    @property
    def refused(self):
        return self.refusal is not None

    @property
    def status(self):
        if self.refusal is not None:
            return self.refusal.status_code
        if self.form is not None and self.form.is_bound and self.form.errors:
            return 400  # what was sent is refused field by field
        return 200

    def allows(self, refusal):
        """Whether the user may act, asked before the form is validated:
        `refusal` is a permissions predicate's answer ('' if he or she may).
        A refusal is shown like a service's (on the form, or as a message) and
        answered with 403, whatever the form holds (even nothing: an empty POST
        read as `request.POST or None` leaves the form unbound); the form is
        then not validated, and not valid."""
        if not refusal:
            return True
        if self.form is not None:
            # Not validated: who may not act learns why, not what is wrong with what was sent.
            self.form._errors = ErrorDict(renderer=self.form.renderer)
            self.form.cleaned_data = {}
        self._record(NotAllowed(refusal))
        return False

    def _record(self, refusal):
        self.refusal = refusal
        if self.form is not None:
            add_refusal_to_form(self.form, refusal)
        elif self.request is not None:
            messages.error(self.request, refusal.message)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, traceback):
        if exc is None or not isinstance(exc, RuleViolation):
            return False
        self._record(exc)
        return True  # handled: the view goes on after the block


def attempt(form=None, *, request=None):
    """Catch a service's refusal: on `form` if given, else as a message for
    `request`, else only in the returned `Outcome` (the page shows it itself)."""
    return Outcome(form=form, request=request)


def add_refusal_to_form(form, refusal):
    """Show a refusal on a form: each field's messages at the field where the
    form shows that field, the overall message on top unless a field already
    says it."""
    placed = []
    for name, errors in (refusal.errors or {}).items():
        if name in form.fields and not form.fields[name].widget.is_hidden:
            for error in errors:
                form.add_error(name, error)
                placed.append(error)
    if refusal.message not in placed:
        form.add_error(None, refusal.message)
