"""The content rules of a review (C3, C4), asked by the services before a
submission and by the pages to tell the reviewer what is left."""

from django.utils.translation import gettext as _

from .models import Review, ReviewInput


def submission_problems(review):
    """What keeps a review from being submitted, by part; empty when it can be.

    C4: the date it was held and the period it covers. C3: every input of a
    management review addressed, or marked not applicable with a reason."""
    problems = {}
    if review.held_on is None:
        problems["held_on"] = [_("Say when the review was held.")]
    if review.period_end < review.period_start:
        problems["period_end"] = [_("The period covered ends before it starts.")]
    if review.kind == Review.Kind.MANAGEMENT:
        inputs = list(review.inputs.all())
        open_inputs = [i for i in inputs if i.status == ReviewInput.Status.OPEN]
        if open_inputs:
            problems["inputs"] = [
                _("Address every input, or mark it not applicable with a reason (open: %(inputs)s).")
                % {"inputs": "; ".join(str(i.label) for i in open_inputs)}
            ]
        unexplained = [
            i for i in inputs if i.status == ReviewInput.Status.NOT_APPLICABLE and not i.notes.strip()
        ]
        if unexplained:
            problems.setdefault("inputs", []).append(
                _("Say why these inputs do not apply: %(inputs)s.")
                % {"inputs": "; ".join(str(i.label) for i in unexplained)}
            )
        addressed_without_notes = [
            i for i in inputs if i.status == ReviewInput.Status.ADDRESSED and not i.notes.strip()
        ]
        if addressed_without_notes:
            problems.setdefault("inputs", []).append(
                _("Say how these inputs were addressed: %(inputs)s.")
                % {"inputs": "; ".join(str(i.label) for i in addressed_without_notes)}
            )
    if review.kind == Review.Kind.INTERNAL_AUDIT and not review.processes.exists():
        problems["processes"] = [_("Name the processes the audit covers.")]
    return problems
