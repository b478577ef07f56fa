"""Staff read the improvements of the processes whose plans they read
(DESIGN: staff read communicated plans). For the lists, "whose plan is
communicated" is kept as a column, `Improvement.readable_by_all`; these tests
pin that it follows every change it derives from, and that a save of an
instance read earlier does not undo it."""

import datetime
import importlib

import pytest
from django.apps import apps

from accounts import roles
from accounts.tests.factories import UserFactory
from improvements import services
from improvements.models import Improvement
from plans import services as plan_services
from plans.models import Plan
from plans.tests import factories as plan_factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(db):
    """Staff involved in no plan: reads only what everybody reads."""
    return UserFactory(username="reader", roles=[roles.STAFF])


@pytest.fixture
def draft_plan(smp, other_owner, manager):
    """A second process whose plan was never communicated."""
    return plan_factories.draft_process_plan(other_owner, manager, name="Change management")


def _propose(actor, *processes):
    return services.propose_improvement(
        actor=actor, title="Faster triage", description="Triage within 10 minutes.", processes=processes
    )


def _readable(improvement):
    return Improvement.objects.values_list("readable_by_all", flat=True).get(pk=improvement.pk)


def _communicate(plan, owner, staff):
    plan.distribution_users.add(staff)
    plan_services.communicate_plan(version=plan.current_version, actor=owner)


def test_an_improvement_of_a_communicated_plans_process_is_read_by_everybody(
    communicated_plan, owner, reader
):
    improvement = _propose(owner, communicated_plan.process)

    assert _readable(improvement) is True
    assert Improvement.objects.visible_to(reader).filter(pk=improvement.pk).exists()


def test_an_improvement_of_a_draft_plans_process_is_read_only_by_who_is_involved(
    draft_plan, other_owner, owner, reader
):
    improvement = _propose(owner, draft_plan.process)

    assert _readable(improvement) is False
    assert not Improvement.objects.visible_to(reader).filter(pk=improvement.pk).exists()
    # The process owner reads the plan's draft, so its improvements too; the
    # one who raised it reads it as well.
    assert Improvement.objects.visible_to(other_owner).filter(pk=improvement.pk).exists()
    assert Improvement.objects.visible_to(owner).filter(pk=improvement.pk).exists()


def test_communicating_the_plan_makes_its_processes_improvements_readable(
    approved_plan, owner, staff, reader
):
    improvement = _propose(owner, approved_plan.process)
    assert not Improvement.objects.visible_to(reader).filter(pk=improvement.pk).exists()

    _communicate(approved_plan, owner, staff)

    assert _readable(improvement) is True
    assert Improvement.objects.visible_to(reader).filter(pk=improvement.pk).exists()


def test_moving_an_improvement_to_another_process_follows_that_plan(
    communicated_plan, draft_plan, owner, csi_principle, reader
):
    improvement = _propose(owner, communicated_plan.process)

    services.update_improvement(
        improvement=improvement,
        actor=owner,
        expected_revision=improvement.revision,
        processes=[draft_plan.process],
    )

    assert _readable(improvement) is False
    assert not Improvement.objects.visible_to(reader).filter(pk=improvement.pk).exists()


def test_the_links_changed_from_the_process_side_are_followed(communicated_plan, draft_plan, owner):
    improvement = _propose(owner, draft_plan.process)
    process = communicated_plan.process

    process.improvements.add(improvement)
    assert _readable(improvement) is True
    process.improvements.remove(improvement)
    assert _readable(improvement) is False
    process.improvements.add(improvement)
    process.improvements.clear()
    assert _readable(improvement) is False


def test_saving_an_improvement_read_before_the_plan_was_communicated_keeps_it_readable(
    approved_plan, owner, staff
):
    improvement = _propose(owner, approved_plan.process)
    stale = Improvement.objects.get(pk=improvement.pk)
    assert stale.readable_by_all is False

    _communicate(approved_plan, owner, staff)
    stale.title = "Faster triage, everywhere"
    stale.save()

    assert _readable(improvement) is True
    assert Improvement.objects.get(pk=improvement.pk).title == "Faster triage, everywhere"


def test_saving_a_plan_read_before_it_was_communicated_keeps_it_readable(approved_plan, owner, staff, reader):
    stale = Plan.objects.get(pk=approved_plan.pk)

    _communicate(approved_plan, owner, staff)
    stale.title = "Incident management plan, revised title"
    stale.save()

    assert Plan.objects.get(pk=approved_plan.pk).readable_by_all is True
    assert Plan.objects.visible_to(reader).filter(pk=approved_plan.pk).exists()


def test_the_migrations_mark_what_was_communicated_before(communicated_plan, draft_plan, owner):
    readable, hidden = _propose(owner, communicated_plan.process), _propose(owner, draft_plan.process)
    Plan.objects.update(readable_by_all=False)
    Improvement.objects.update(readable_by_all=False)

    importlib.import_module("plans.migrations.0009_plan_readable_by_all").mark_communicated_plans(apps, None)
    importlib.import_module("improvements.migrations.0003_readable_by_all").mark_readable_improvements(
        apps, None
    )

    communicated = set(Plan.objects.filter(versions__communicated_at__isnull=False).distinct())
    assert communicated_plan in communicated and draft_plan not in communicated
    assert set(Plan.objects.filter(readable_by_all=True)) == communicated
    assert (_readable(readable), _readable(hidden)) == (True, False)


def test_staff_involved_in_a_draft_plan_read_its_processes_improvements_and_their_parts(
    draft_plan, owner, reader
):
    """The deputy of a process whose plan is not communicated reads its
    improvements, through the improvement and through its parts (`readable_by`)."""
    from improvements.models import BaselineValue, readable_by

    improvement = _propose(owner, draft_plan.process)
    BaselineValue.objects.create(
        improvement=improvement, label="Calls answered", value=80, measured_on=datetime.date(2026, 11, 1)
    )
    assert not Improvement.objects.visible_to(reader).filter(pk=improvement.pk).exists()

    draft_plan.process.deputies.add(reader)

    assert Improvement.objects.visible_to(reader).filter(pk=improvement.pk).exists()
    assert BaselineValue.objects.filter(
        readable_by(reader, "improvement__"), improvement=improvement
    ).exists()


def test_whoever_owns_an_improvement_reads_it_whatever_its_process(draft_plan, owner, reader):
    improvement = _propose(owner, draft_plan.process)
    assert not Improvement.objects.visible_to(reader).filter(pk=improvement.pk).exists()

    Improvement.objects.filter(pk=improvement.pk).update(owner=reader)

    assert Improvement.objects.visible_to(reader).filter(pk=improvement.pk).exists()
