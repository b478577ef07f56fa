"""Builders for plans in any state, through the services (so they obey the rules)."""

from decimal import Decimal

import factory

from accounts import roles
from accounts.tests.factories import UserFactory
from plans import services
from plans.models import Plan, Process, Responsibility


class ProcessFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Process
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Process {n}")
    owner = factory.SubFactory(UserFactory, roles=[roles.PROCESS_OWNER])


def fill_sections(version, actor):
    texts = {key: f"{title} of {version.plan}." for key, title, _ in version.plan.section_definitions}
    return services.update_draft(
        version=version, actor=actor, expected_revision=version.revision, sections=texts
    )


def assign_all_responsibilities(version, actor, approver, others=None):
    others = others or actor
    return services.set_responsibilities(
        version=version,
        actor=actor,
        assignments={
            Responsibility.Kind.REVIEW: [others],
            Responsibility.Kind.APPROVAL: [approver],
            Responsibility.Kind.COMMUNICATION: [others],
            Responsibility.Kind.IMPLEMENTATION: [others],
            Responsibility.Kind.UPDATING: [others],
        },
    )


def add_objective_with_kpi(version, actor, title="Restore service quickly", traces_to=None, kpi_owner=None):
    objective = services.save_objective(version=version, actor=actor, title=title, traces_to=traces_to)
    services.save_kpi(
        objective=objective,
        actor=actor,
        metric="Incidents resolved within target time",
        unit="%",
        direction="higher",
        target=Decimal("95"),
        owner=kpi_owner or actor,
        frequency="monthly",
    )
    return objective


def draft_smp(manager, approver):
    """An SMP draft that is complete and can be submitted by `manager`."""
    smp = services.create_service_management_plan(actor=manager)
    version = smp.latest_version
    fill_sections(version, manager)
    add_objective_with_kpi(version, manager, title="Services meet agreed availability")
    assign_all_responsibilities(version, manager, approver)
    return Plan.objects.get(pk=smp.pk)


def submit_and_review(version, author, reviewer=None):
    """P3: the author submits, the named reviewer (the author's colleague in
    these builders: the `others` of `assign_all_responsibilities`) reviews."""
    services.submit_plan(version=version, actor=author)
    services.review_plan(version=version, actor=reviewer or author)
    return version


def approved_smp(manager, approver):
    smp = draft_smp(manager, approver)
    version = smp.latest_version
    submit_and_review(version, manager)
    services.approve_plan(version=version, actor=approver)
    return Plan.objects.get(pk=smp.pk)


def draft_process_plan(owner, approver, process=None, name="Incident management"):
    """A complete process-plan draft tracing to the SMP's first objective."""
    process = process or ProcessFactory(name=name, owner=owner)
    plan = services.create_process_plan(process=process, actor=owner)
    version = plan.latest_version
    fill_sections(version, owner)
    smp_objective = version.conforms_to.objectives.first() if version.conforms_to else None
    add_objective_with_kpi(version, owner, traces_to=smp_objective)
    assign_all_responsibilities(version, owner, approver)
    return Plan.objects.get(pk=plan.pk)


def approved_process_plan(owner, approver, **kwargs):
    plan = draft_process_plan(owner, approver, **kwargs)
    submit_and_review(plan.latest_version, owner)
    services.approve_plan(version=plan.latest_version, actor=approver)
    return Plan.objects.get(pk=plan.pk)
