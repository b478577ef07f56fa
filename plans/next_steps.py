"""Where a version stands in the loop between people, and who acts next (P3, P6).

One answer for the plan page, the version page and the API:

- `loop_state(version)`: the decisions that explain a version's state: the
  change request that sent a draft back (who, when, the comment) until it is
  resubmitted, a withdrawn submission, the submitter's note and the
  reviewer's note of the submission waiting for a decision. One query.
- `next_step(version, user=None)`: who acts next (the named people, or "the
  managers"), what they do, since when, and the sentence the pages show
  ("Waits for approval by Morgan Meyer since 25 Nov 2026").

People are named only as the version names them (its responsibilities) or as
the plan's editors; who has not acknowledged a communicated version is
counted, not named (only readers of every plan see those names).
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pdca.models import Decision

from .models import Acknowledgement, PlanVersion, Responsibility

Status = PlanVersion.Status

# The decisions that move a version between the author and the deciders.
LOOP_ACTIONS = ("submit", "review", "request_changes", "withdraw")


@dataclass(frozen=True)
class LoopState:
    """The decisions behind a version's state (each a `pdca.models.Decision` or None)."""

    change_request: Decision | None = None  # a draft sent back by the reviewer or approver
    withdrawal: Decision | None = None  # a draft whose submission its author withdrew
    submission: Decision | None = None  # the submission waiting for a decision (its note)
    review: Decision | None = None  # the review of that submission (its note)


def loop_state(version):
    """What the author and the deciders need to read about `version` now: for a
    draft, the change request (or withdrawal) that made it a draft again, until
    it is resubmitted; for a version awaiting a decision, the submission and
    review notes. One query."""
    if version.status not in PlanVersion.IN_PROGRESS:
        return LoopState()
    decisions = list(
        Decision.objects.for_object(version).filter(action__in=LOOP_ACTIONS).order_by("-sequence")[:10]
    )
    latest = decisions[0] if decisions else None
    if version.status == Status.DRAFT:
        if latest is None:
            return LoopState()
        if latest.action == "request_changes":
            return LoopState(change_request=latest)
        if latest.action == "withdraw":
            return LoopState(withdrawal=latest)
        return LoopState()
    submission = next((d for d in decisions if d.action == "submit"), None)
    review = None
    if version.status == Status.REVIEWED:
        review = next((d for d in decisions if d.action == "review"), None)
    return LoopState(submission=submission, review=review)


@dataclass(frozen=True)
class NextStep:
    """Who acts next on a version. `action`: what they do (submit, review,
    approve, communicate, acknowledge; '' when nobody has to act); `people`:
    the people named for it; `group`: 'managers' when any manager may act;
    `since`: since when it waits; `text`: the sentence pages show."""

    action: str
    text: str
    people: list = field(default_factory=list)
    group: str = ""
    since: datetime | None = None
    waiting: int = 0  # recipients who have not acknowledged yet (communicated versions)


def _date(moment):
    return date_format(timezone.localtime(moment), "j M Y") if moment else ""


def names(people, user=None):
    """'Olivia Owen', 'Olivia Owen or Peter Park', with 'you' for the reader."""
    said = [_("you") if user is not None and person.pk == user.pk else str(person) for person in people]
    if len(said) <= 1:
        return "".join(said)
    return _("%(names)s or %(last)s") % {"names": ", ".join(said[:-1]), "last": said[-1]}


def editors(version):
    """The people who write a draft of the plan: for a process plan its process
    owner and deputies, and the version's updating responsibility (the object
    permission `sync_plan_permissions` grants them)."""
    plan = version.plan
    people = []
    if plan.process_id is not None:
        people += [plan.process.owner, *plan.process.deputies.all()]
    people += version.responsible(Responsibility.Kind.UPDATING)
    if not people:
        people = [version.author]
    return list({person.pk: person for person in people}.values())


def _step(action, texts, people, since, user, group=""):
    """A step whose sentence names the people and, once it has begun, the
    date. `texts`: (sentence with "since", sentence without): what follows an
    approval not yet given has no date."""
    text = texts[0] if since is not None else texts[1]
    return NextStep(
        action,
        text % {"people": names(people, user), "date": _date(since)},
        list(people),
        group=group,
        since=since,
    )


def step_for(version, status, *, user=None, state=None, waiting=None):
    """The next step of `version` as if it were in `status` (the pages also say
    what follows an approval before it happens)."""
    if status == Status.DRAFT:
        state = state if state is not None else loop_state(version)
        sent_back = state.change_request or state.withdrawal
        texts = (
            _("Waits for %(people)s to revise and resubmit it since %(date)s."),
            _("Waits for %(people)s to complete and submit it."),
        )
        return _step("submit", texts, editors(version), sent_back.at if sent_back else None, user)
    if status == Status.IN_REVIEW:
        reviewers = version.responsible(Responsibility.Kind.REVIEW)
        approvers = version.responsible(Responsibility.Kind.APPROVAL)
        at_once = version.reviewer_may_approve and reviewers and all(r in approvers for r in reviewers)
        if at_once:
            texts = (
                _("Waits for review and approval by %(people)s since %(date)s."),
                _("Waits for review and approval by %(people)s."),
            )
        else:
            texts = (
                _("Waits for review by %(people)s since %(date)s."),
                _("Waits for review by %(people)s."),
            )
        return _step("review", texts, reviewers, version.submitted_at, user)
    if status == Status.REVIEWED:
        approvers = version.responsible(Responsibility.Kind.APPROVAL)
        if not approvers:
            texts = (
                _("Waits for approval by the managers since %(date)s."),
                _("Waits for approval by the managers."),
            )
            return _step("approve", texts, [], version.reviewed_at, user, group="managers")
        texts = (
            _("Waits for approval by %(people)s since %(date)s."),
            _("Waits for approval by %(people)s."),
        )
        return _step("approve", texts, approvers, version.reviewed_at, user)
    if status == Status.APPROVED:
        texts = (
            _("Waits for communication by %(people)s since %(date)s."),
            _("Waits for communication by %(people)s."),
        )
        communicators = version.responsible(Responsibility.Kind.COMMUNICATION)
        return _step("communicate", texts, communicators, version.approved_at, user)
    if status == Status.COMMUNICATED:
        if waiting is None:
            waiting = Acknowledgement.objects.filter(version=version, acknowledged_at__isnull=True).count()
        since = version.communicated_at
        if not waiting:
            return NextStep("", _("Every recipient has acknowledged it."), since=since)
        return NextStep(
            "acknowledge",
            ngettext(
                "Waits for %(count)s recipient to acknowledge it since %(date)s.",
                "Waits for %(count)s recipients to acknowledge it since %(date)s.",
                waiting,
            )
            % {"count": waiting, "date": _date(since)},
            since=since,
            waiting=waiting,
        )
    return NextStep(
        "",
        _("Superseded on %(date)s by a newer version: nothing waits for it.")
        % {"date": _date(version.superseded_at)},
    )


def next_step(version, *, user=None, state=None, waiting=None):
    """Who acts next on `version` and since when. `user`: the reader (named
    "you"); `state`: its `loop_state` when the caller has it; `waiting`: the
    number of recipients who have not acknowledged, when the caller counted them."""
    if version.status in (Status.DRAFT, Status.APPROVED) and version.plan.archived_at is not None:
        return NextStep("", _("The plan is archived: nothing waits for anyone until a manager restores it."))
    return step_for(version, version.status, user=user, state=state, waiting=waiting)
