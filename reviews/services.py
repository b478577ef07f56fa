"""Every change of a review schedule and a review goes through one of these
functions (C2-C4, C6). Each names its rule, asks `reviews.permissions` who
may, and changes state through `pdca.transitions.transition`; a review's
content changes through the controlled-document helpers (editable, revision,
editor), its approval through `pdca.controlled.approve`.
"""

from django.contrib.auth import get_user_model
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import people
from pdca import controlled
from pdca.exceptions import RuleViolation, refuse
from pdca.history import atomic_as_actor
from pdca.notifications import Notice, resolve_tasks
from pdca.transitions import lock, record_creation, transition
from plans.models import Plan, Responsibility

from . import permissions, signals
from .dates import add_months
from .measurements import value_for_period
from .models import (
    MANAGEMENT_REVIEW_INPUTS,
    Addendum,
    Attainment,
    Finding,
    Review,
    ReviewAction,
    ReviewInput,
    ReviewSchedule,
)
from .rules import submission_problems

Kind = Review.Kind
Status = Review.Status
User = get_user_model()


def _ineligible(persons, responsibility):
    """The reasons why some of `persons` may not hold `responsibility` (accounts.people)."""
    return [r for r in (people.eligibility_refusal(p, responsibility) for p in persons) if r]


def _managers():
    return list(
        User.objects.filter(is_active=True, groups__permissions__codename="approve_review").distinct()
    )


# -- review schedules (C2) -------------------------------------------------------------------


def _check_interval(interval_months):
    try:
        interval = int(interval_months)
    except (TypeError, ValueError):
        raise RuleViolation(_("Give the interval in whole months."), field="interval_months") from None
    if not 1 <= interval <= ReviewSchedule.MAX_INTERVAL_MONTHS:
        raise RuleViolation(
            _("A plan is reviewed at least once a year: the interval is 1 to 12 months, not %(n)s.")
            % {"n": interval},
            field="interval_months",
        )
    return interval


@atomic_as_actor
def save_schedule(*, plan, actor, interval_months, next_planned_on, reviewer):
    """C2: a plan is reviewed at regular intervals, at least once a year, by a
    reviewer who may hold a plan's responsibilities (`accounts.people.OPERATOR`,
    as the plan's review responsibility that becomes its first reviewer)."""
    refuse(permissions.schedule_refusal(actor, plan))
    interval = _check_interval(interval_months)
    errors = {}
    if next_planned_on is None:
        errors["next_planned_on"] = [_("Give the date of the next review.")]
    if reviewer is None:
        errors["reviewer"] = [_("Name the reviewer.")]
    elif permissions.is_read_only(reviewer):
        errors["reviewer"] = [_("Auditors carry out internal audits, not the reviews of a plan's schedule.")]
    elif refusal := people.eligibility_refusal(reviewer, people.OPERATOR):
        errors["reviewer"] = [refusal]
    if errors:
        raise RuleViolation(_("The review schedule is incomplete."), errors=errors)
    schedule = ReviewSchedule.objects.select_for_update().filter(plan=plan).first()
    if schedule is None:
        schedule = ReviewSchedule(plan=plan)
    elif schedule.next_planned_on != next_planned_on:
        # C5: the reminders of the old due date are no longer needed.
        resolve_tasks(schedule, ["hold_review"], actor=actor, withdrawn=True)
    schedule.interval_months, schedule.next_planned_on, schedule.reviewer = (
        interval,
        next_planned_on,
        reviewer,
    )
    schedule.save()
    return schedule


def create_schedule_on_first_communication(*, version, actor):
    """C2: communicating a plan for the first time creates its review schedule,
    with the plan's review responsibility as reviewer, yearly from today."""
    plan = version.plan
    if ReviewSchedule.objects.filter(plan=plan).exists():
        return None
    reviewers = version.responsible(Responsibility.Kind.REVIEW)
    reviewer = reviewers[0] if reviewers else plan.owner or plan.created_by
    today = timezone.localdate()
    return ReviewSchedule.objects.create(
        plan=plan, interval_months=12, next_planned_on=add_months(today, 12), reviewer=reviewer
    )


# -- planning a review (C3) ---------------------------------------------------------------------


def _version_reviewed(kind, plan):
    if plan is None:
        return None
    version = plan.current_version
    if version is None:
        raise RuleViolation(
            _("%(plan)s has no approved version to review yet.") % {"plan": plan}, field="plan"
        )
    return version


@atomic_as_actor
def plan_review(
    *,
    actor,
    kind,
    planned_on,
    reviewer,
    plan=None,
    processes=(),
    participants=(),
    title="",
    period_start=None,
    period_end=None,
):
    """C3: plan a management review (of the SMS, i.e. the SMP), a process review
    (of one process plan) or an internal audit (of one or more processes). The
    review fulfils the plan's next scheduled date. Participants are people
    with a role in the portal (`accounts.people.RECIPIENT`)."""
    if kind not in Kind.values:
        raise RuleViolation(_("Choose the kind of review."), field="kind")
    if kind == Kind.MANAGEMENT:
        plan = Plan.objects.filter(kind=Plan.Kind.SMP).first()
        if plan is None:
            raise RuleViolation(
                _("The management review reviews the SMS: create the service management plan first.")
            )
    if kind == Kind.PROCESS and (plan is None or plan.process_id is None):
        raise RuleViolation(_("A process review reviews one process plan: choose it."), field="plan")
    refuse(permissions.plan_review_refusal(actor, kind, plan=plan))
    errors = {}
    if planned_on is None:
        errors["planned_on"] = [_("Give the planned date.")]
    processes = list(dict.fromkeys(processes or []))
    if kind == Kind.PROCESS and plan is not None and plan.process_id:
        processes = [plan.process]
    if kind == Kind.INTERNAL_AUDIT and not processes:
        errors["processes"] = [_("Name the processes the audit covers.")]
    refusal = permissions.reviewer_refusal(reviewer, kind, processes=processes)
    if refusal:
        errors["reviewer"] = [refusal]
    if refusals := _ineligible(participants, people.RECIPIENT):
        errors["participants"] = refusals
    if errors:
        raise RuleViolation(
            _("The review cannot be planned: ") + " ".join(m for ms in errors.values() for m in ms),
            errors=errors,
        )
    version = _version_reviewed(kind, plan)
    schedule = (
        ReviewSchedule.objects.filter(plan=plan).first()
        if plan is not None and kind != Kind.INTERNAL_AUDIT
        else None
    )
    months = schedule.interval_months if schedule else 12
    period_end = period_end or planned_on
    period_start = period_start or add_months(period_end, -months)
    if period_end < period_start:
        raise RuleViolation(_("The period covered ends before it starts."), field="period_end")
    if not title:
        subject = {
            Kind.MANAGEMENT: _("Management review"),
            Kind.PROCESS: _("Process review of %(process)s") % {"process": plan.process if plan else ""},
            Kind.INTERNAL_AUDIT: _("Internal audit of %(processes)s")
            % {"processes": ", ".join(str(p) for p in processes)},
        }[kind]
        title = f"{subject} {planned_on:%b %Y}"
    review = Review.objects.create(
        kind=kind,
        title=title,
        plan=plan,
        version=version,
        schedule=schedule,
        planned_on=planned_on,
        period_start=period_start,
        period_end=period_end,
        reviewer=reviewer,
        # The reviewer writes the review; planning it is not writing it, so
        # the manager who planned a review may still approve it (C4).
        author=reviewer,
        last_editor=reviewer,
    )
    review.processes.set(processes)
    review.participants.set([p for p in participants if p.pk != reviewer.pk])
    if kind == Kind.MANAGEMENT:
        ReviewInput.objects.bulk_create(
            ReviewInput(review=review, key=key, position=n)
            for n, (key, _label) in enumerate(MANAGEMENT_REVIEW_INPUTS)
        )
    _prefill_attainment(review)
    return record_creation(
        review,
        actor=actor,
        action="plan_review",
        to_state=Status.PLANNED,
        notices=[
            Notice(
                recipients=[reviewer, *review.participants.all()],
                subject=_("Review planned: %(review)s") % {"review": review},
                body=_("%(actor)s planned %(review)s for %(date)s with %(reviewer)s as reviewer.")
                % {"actor": actor, "review": review, "date": f"{planned_on:%d %b %Y}", "reviewer": reviewer},
                url=review.get_absolute_url(),
                about=review,
                task="hold_review",
            )
        ],
    )


def _prefill_attainment(review):
    """C4: one row per KPI of the reviewed version, the measured value prefilled
    from the period's measurements."""
    if review.version_id is None:
        return
    review.attainments.all().delete()
    rows = []
    for objective in review.version.objectives.prefetch_related("kpis").order_by("code"):
        for kpi in objective.kpis.all():
            rows.append(
                Attainment(
                    review=review,
                    kpi=kpi,
                    kpi_key=kpi.key,
                    objective_code=objective.code,
                    objective_title=objective.title,
                    metric=kpi.metric,
                    unit=kpi.unit,
                    direction=kpi.direction,
                    target=kpi.target,
                    measured=value_for_period(kpi, review.period_start, review.period_end),
                )
            )
    Attainment.objects.bulk_create(rows)


# -- carrying it out (C4) ----------------------------------------------------------------------


def _review_for_edit(review, actor, expected_revision=None):
    review = lock(review, related=("plan__process", "reviewer"))
    refuse(permissions.edit_refusal(actor, review))
    controlled.require_editable(review, expected_revision)
    return review


@atomic_as_actor
def start_review(*, review, actor, comment="", held_on=None):
    """planned -> in progress: the review is being held (on `held_on`, when
    given); the attainment is filled from the measurements of the period as
    they are now."""
    if held_on is not None and held_on > timezone.localdate():
        raise RuleViolation(_("A review is not held in the future."), field="held_on")

    def check(locked):
        refuse(permissions.edit_refusal(actor, locked))

    review = transition(
        review,
        actor=actor,
        action="start_review",
        source=Status.PLANNED,
        target=Status.IN_PROGRESS,
        stamp="started_at",
        comment=comment,
        check=check,
        changes={"held_on": held_on} if held_on else None,
        conflict=lambda r: (
            _("This review is already %(status)s.") % {"status": r.get_status_display().lower()}
        ),
        resolves=("hold_review",),
    )
    if review.schedule_id:
        # C5: the review is held; the reminders that it is due are done.
        resolve_tasks(review.schedule, ["hold_review"], actor=actor)
    _prefill_attainment(review)
    return review


REVIEW_FIELDS = ("title", "held_on", "period_start", "period_end", "decisions", "minutes")


@atomic_as_actor
def update_review(*, review, actor, expected_revision, participants=None, **values):
    """C4: the review's dates, period, decisions and minutes (and who took part),
    while it is planned or in progress. A save from a stale page is refused."""
    review = _review_for_edit(review, actor, expected_revision)
    unknown = set(values) - set(REVIEW_FIELDS)
    if unknown:
        raise RuleViolation(_("Unknown field(s): %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    errors = {}
    if "title" in values and not (values["title"] or "").strip():
        errors["title"] = [_("A review needs a title.")]
    held_on = values.get("held_on", review.held_on)
    if held_on and held_on > timezone.localdate():
        errors["held_on"] = [_("The review cannot have been held in the future.")]
    start = values.get("period_start", review.period_start)
    end = values.get("period_end", review.period_end)
    if start is None or end is None:
        errors["period_start"] = [_("Give the period the review covers.")]
    elif end < start:
        errors["period_end"] = [_("The period covered ends before it starts.")]
    if refusals := _ineligible(participants or (), people.RECIPIENT):
        errors["participants"] = refusals
    if errors:
        raise RuleViolation(
            _("The review cannot be saved: ") + " ".join(m for ms in errors.values() for m in ms),
            errors=errors,
        )
    period_changed = (start, end) != (review.period_start, review.period_end)
    for name, value in values.items():
        if isinstance(value, str):
            value = value.replace("\r\n", "\n")
            if name == "title":
                value = value.strip()
        setattr(review, name, value)
    controlled.touch(review, actor=actor, fields=list(values))
    if participants is not None:
        review.participants.set([p for p in participants if p.pk != review.reviewer_id])
    if period_changed:
        _refresh_measured(review)
    return review


def _refresh_measured(review):
    for attainment in review.attainments.select_related("kpi"):
        if attainment.kpi is not None:
            attainment.measured = value_for_period(attainment.kpi, review.period_start, review.period_end)
            attainment.save(update_fields=["measured"])


@atomic_as_actor
def address_input(*, review, actor, key, status, notes="", expected_revision=None):
    """C3: an input of a management review is addressed or marked not
    applicable (with the reason)."""
    review = _review_for_edit(review, actor, expected_revision)
    item = review.inputs.filter(key=key).first()
    if item is None:
        raise RuleViolation(_("This review has no such input."), field="key")
    if status not in ReviewInput.Status.values:
        raise RuleViolation(_("Choose how the input was dealt with."), field="status")
    if status != ReviewInput.Status.OPEN and not (notes or "").strip():
        raise RuleViolation(
            _("Say how the input was addressed.")
            if status == ReviewInput.Status.ADDRESSED
            else _("Say why the input does not apply."),
            field="notes",
        )
    item.status, item.notes = status, (notes or "").strip()
    item.save(update_fields=["status", "notes"])
    controlled.touch(review, actor=actor)
    return item


@atomic_as_actor
def save_attainment(*, attainment, actor, measured, comment="", expected_revision=None):
    """C4: the measured value of an objective's KPI (prefilled, correctable) and a comment."""
    review = _review_for_edit(attainment.review, actor, expected_revision)
    if measured in ("", None):
        measured = None
    else:
        from .measurements import _parse_value

        try:
            measured = _parse_value(measured)
        except RuleViolation as refusal:
            raise RuleViolation(refusal.message, field="measured") from None
    attainment.measured, attainment.comment = measured, comment or ""
    attainment.save(update_fields=["measured", "comment"])
    controlled.touch(review, actor=actor)
    return attainment


# -- findings (C6) and actions (C4) ---------------------------------------------------------------


@atomic_as_actor
def save_finding(*, review, actor, grade, description, evidence, clause="", process=None, finding=None):
    """C6: a nonconformity (major, minor), an observation or an opportunity for
    improvement, with clause reference, process and objective evidence."""
    review = _review_for_edit(review, actor)
    errors = {}
    if grade not in Finding.Grade.values:
        errors["grade"] = [_("Choose the grade of the finding.")]
    if not (description or "").strip():
        errors["description"] = [_("Describe the finding.")]
    if not (evidence or "").strip():
        errors["evidence"] = [_("A finding rests on objective evidence: record it.")]
    audited = list(review.processes.all())
    if process is not None and audited and process not in audited:
        errors["process"] = [_("The finding concerns one of the processes this review covers.")]
    if errors:
        raise RuleViolation(_("The finding is incomplete."), errors=errors)
    if finding is None:
        number = (review.findings.aggregate(n=Max("number"))["n"] or 0) + 1
        finding = Finding(review=review, number=number)
    elif finding.review_id != review.pk:
        raise RuleViolation(_("That finding belongs to another review."))
    if process is None and len(audited) == 1:
        process = audited[0]
    finding.grade, finding.clause, finding.process = grade, (clause or "").strip(), process
    finding.description, finding.evidence = description.strip(), evidence.strip()
    finding.save()
    controlled.touch(review, actor=actor)
    return finding


@atomic_as_actor
def delete_finding(*, finding, actor):
    review = _review_for_edit(finding.review, actor)
    finding.delete()
    controlled.touch(review, actor=actor)


@atomic_as_actor
def save_action(*, review, actor, description, owner, due_on, finding=None, action=None):
    """C4: an action decided in the review, with its owner (one who may carry
    work out: `accounts.people.OPERATOR`) and due date, and the finding of the
    same review it addresses, if any."""
    review = _review_for_edit(review, actor)
    errors = {}
    if not (description or "").strip():
        errors["description"] = [_("Describe the action.")]
    if owner is None:
        errors["owner"] = [_("Name the owner of the action.")]
    elif refusal := people.eligibility_refusal(owner, people.OPERATOR):
        errors["owner"] = [refusal]
    if due_on is None:
        errors["due_on"] = [_("Give the due date.")]
    if finding is not None and finding.review_id != review.pk:
        errors["finding"] = [_("That finding belongs to another review.")]
    if errors:
        raise RuleViolation(_("The action is incomplete."), errors=errors)
    if action is None:
        action = ReviewAction(review=review)
    elif action.review_id != review.pk:
        raise RuleViolation(_("That action belongs to another review."))
    action.description, action.owner, action.due_on = description.strip(), owner, due_on
    action.finding = finding
    action.save()
    controlled.touch(review, actor=actor)
    return action


@atomic_as_actor
def delete_action(*, action, actor):
    review = _review_for_edit(action.review, actor)
    resolve_tasks(action, actor=actor, withdrawn=True)
    action.delete()
    controlled.touch(review, actor=actor)


@atomic_as_actor
def complete_action(*, action, actor, note="", done_on=None):
    """C4: the owner (or the reviewer) marks an action done, also after the
    review was approved; it is recorded on the review's decisions."""
    done_on = done_on or timezone.localdate()

    def check(locked):
        refuse(permissions.action_progress_refusal(actor, locked))
        if done_on > timezone.localdate():
            raise RuleViolation(_("The done date cannot be in the future."), field="done_on")

    return transition(
        action,
        actor=actor,
        action="complete_action",
        source=ReviewAction.Status.OPEN,
        target=ReviewAction.Status.DONE,
        related=("review",),
        check=check,
        changes={"done_on": done_on, "done_by": actor, "done_note": note or ""},
        subject=lambda a: a.review,
        comment=action.description[:200],
        conflict=lambda a: _("This action was already marked done on %(date)s.") % {"date": a.done_on},
        resolves=("complete_action",),
    )


# -- the workflow -----------------------------------------------------------------------------------


@atomic_as_actor
def submit_review(*, review, actor, comment=""):
    """in progress -> submitted: the reviewer hands it to top management (C3: a
    management review's inputs are all addressed)."""

    def check(locked):
        refuse(permissions.submit_refusal(actor, locked))
        problems = submission_problems(locked)
        if problems:
            raise RuleViolation(
                _("The review cannot be submitted yet: ")
                + " ".join(m for ms in problems.values() for m in ms),
                errors=problems,
            )

    return transition(
        review,
        actor=actor,
        action="submit_review",
        source=Status.IN_PROGRESS,
        target=Status.SUBMITTED,
        stamp="submitted_at",
        comment=comment,
        check=check,
        related=("plan__process",),
        conflict=lambda r: (
            _("Only a review in progress is submitted; this one is %(status)s.")
            % {"status": r.get_status_display().lower()}
        ),
        resolves=("revise",),
        notices=lambda r: [
            Notice(
                recipients=[m for m in _managers() if not r.segregation_refusal(m)],
                subject=_("Review to approve: %(review)s") % {"review": r},
                body=_("%(actor)s submitted %(review)s for approval.") % {"actor": actor, "review": r},
                url=r.get_absolute_url(),
                about=r,
                task="approve",
            )
        ],
    )


@atomic_as_actor
def return_review(*, review, actor, comment):
    """submitted -> in progress: a manager sends the review back, saying why."""

    def check(locked):
        refuse(permissions.decide_refusal(actor, locked))
        if not (comment or "").strip():
            raise RuleViolation(_("Say what has to change: a comment is required."), field="comment")

    return transition(
        review,
        actor=actor,
        action="return_review",
        source=Status.SUBMITTED,
        target=Status.IN_PROGRESS,
        comment=comment,
        check=check,
        changes={"submitted_at": None},
        conflict=lambda r: (
            _("This review is %(status)s, not submitted.") % {"status": r.get_status_display().lower()}
        ),
        # One manager decided: the others are no longer asked to approve.
        resolves=("approve",),
        notices=lambda r: [
            Notice(
                recipients=[r.reviewer],
                subject=_("Review returned: %(review)s") % {"review": r},
                body=_("%(actor)s returned %(review)s:\n\n%(comment)s")
                % {"actor": actor, "review": r, "comment": comment},
                url=r.get_absolute_url(),
                about=r,
                task="revise",
            )
        ],
    )


@atomic_as_actor
def approve_review(*, review, actor, comment=""):
    """submitted -> approved. C4: a manager who is neither the reviewer nor a
    participant approves; the review never changes afterwards. C2: the review
    completes its schedule's due date, and the next one counts from this
    review's planned date, not the day it was held."""

    def check(locked):
        refuse(permissions.decide_refusal(actor, locked))

    review = controlled.approve(
        review,
        actor=actor,
        source=Status.SUBMITTED,
        target=Status.APPROVED,
        comment=comment,
        check=check,
        conflict=lambda r: (
            _("This review is %(status)s, not submitted: it may have been decided already.")
            % {"status": r.get_status_display().lower()}
        ),
        notices=lambda r: [
            Notice(
                recipients=[
                    r.reviewer,
                    *r.participants.all(),
                    *(a.owner for a in r.actions.select_related("owner")),
                ],
                subject=_("Review approved: %(review)s") % {"review": r},
                body=_("%(actor)s approved %(review)s.") % {"actor": actor, "review": r},
                url=r.get_absolute_url(),
                about=r,
            )
        ],
    )
    if review.schedule_id:
        schedule = ReviewSchedule.objects.select_for_update().get(pk=review.schedule_id)
        # Only a review of the current due date moves it on (a re-planned,
        # older review does not move the schedule back).
        if schedule.last_planned_on is None or review.planned_on > schedule.last_planned_on:
            schedule.last_planned_on = review.planned_on
            schedule.next_planned_on = add_months(review.planned_on, schedule.interval_months)
            schedule.save(update_fields=["last_planned_on", "next_planned_on"])
            # C5: the due date is met; its reminders are done.
            resolve_tasks(schedule, ["hold_review"], actor=actor)
    signals.review_approved.send(sender=Review, review=review, actor=actor)
    return review


@atomic_as_actor
def add_addendum(*, review, actor, text):
    """C4: a later correction of an approved review, with its own author and date."""
    review = lock(review)
    refuse(permissions.addendum_refusal(actor, review))
    if not (text or "").strip():
        raise RuleViolation(_("Write the addendum."), field="text")
    addendum = Addendum.objects.create(review=review, author=actor, text=text.strip())
    return record_creation(addendum, actor=actor, action="add_addendum")
