"""Editing a draft in the browser: sections with preview and the optimistic
lock, responsibilities (P2), objectives tracing to the SMP (P1), KPIs (D1),
the distribution list (P6) and creating a process plan."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from plans import services
from plans.models import Kpi, Objective, Plan, PlanVersion, Responsibility
from plans.tests import factories

pytestmark = pytest.mark.django_db


def browser_for(user):
    client = Client()
    client.force_login(user)
    return client


def section_url(plan, number=1, section="purpose"):
    return reverse("plans:section_edit", args=[plan.pk, number, section])


def version_of(plan, number=1):
    return PlanVersion.objects.get(plan=plan, number=number)


# -- sections --------------------------------------------------------------------


def test_section_form_shows_the_guidance_and_the_revision(process_plan, owner):
    response = browser_for(owner).get(section_url(process_plan))
    html = response.content.decode()
    assert "What the process achieves, and what it covers." in html
    assert response.context["form"]["revision"].value() == version_of(process_plan).revision


def test_saving_a_section_stores_the_text(process_plan, owner):
    version = version_of(process_plan)
    response = browser_for(owner).post(
        section_url(process_plan),
        {"text": "Restore **normal service** quickly.", "revision": version.revision, "save": "1"},
    )
    assert response.status_code == 302
    assert response.url.endswith("#section-purpose")
    assert version_of(process_plan).sections["purpose"] == "Restore **normal service** quickly."


def test_preview_does_not_save(process_plan, owner):
    version = version_of(process_plan)
    response = browser_for(owner).post(
        section_url(process_plan), {"text": "A *new* purpose.", "revision": version.revision, "preview": "1"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "A <em>new</em> purpose." in html  # rendered
    assert "A *new* purpose.</textarea>" in html  # and still in the textarea
    after = version_of(process_plan)
    assert (after.revision, after.sections) == (version.revision, version.sections)


def test_preview_is_sanitised(process_plan, owner):
    response = browser_for(owner).post(
        section_url(process_plan),
        {
            "text": "<script>alert(1)</script> fine",
            "revision": version_of(process_plan).revision,
            "preview": "1",
        },
    )
    preview = response.content.decode().split('id="preview-heading"')[1]
    assert "<script>" not in preview


def test_second_concurrent_save_is_refused_and_keeps_the_typed_text(
    process_plan, owner, other_owner, manager
):
    services.set_process_owner(
        process=process_plan.process, owner=owner, deputies=[other_owner], actor=manager
    )
    first, second = browser_for(owner), browser_for(other_owner)
    revision = first.get(section_url(process_plan)).context["form"]["revision"].value()
    assert second.get(section_url(process_plan)).context["form"]["revision"].value() == revision

    assert (
        first.post(
            section_url(process_plan), {"text": "Olivia's purpose.", "revision": revision, "save": "1"}
        ).status_code
        == 302
    )
    refused = second.post(
        section_url(process_plan),
        {"text": "Peter's purpose, typed at length.", "revision": revision, "save": "1"},
    )

    assert refused.status_code == 409
    html = refused.content.decode()
    assert "Olivia Owen saved this plan at" in html
    assert "Peter&#x27;s purpose, typed at length.</textarea>" in html  # nothing typed is lost
    assert "Olivia&#x27;s purpose." in html  # shown next to it: what is saved now
    assert version_of(process_plan).sections["purpose"] == "Olivia's purpose."

    # Having seen the saved text, the second editor can save deliberately.
    new_revision = refused.context["form"]["revision"].value()
    assert new_revision == version_of(process_plan).revision
    assert (
        second.post(
            section_url(process_plan),
            {"text": "Peter's purpose, merged.", "revision": new_revision, "save": "1"},
        ).status_code
        == 302
    )
    assert version_of(process_plan).sections["purpose"] == "Peter's purpose, merged."


def test_editing_an_approved_version_is_refused(approved_plan, owner):
    client = browser_for(owner)
    before = version_of(approved_plan)
    form = client.get(section_url(approved_plan))
    assert form.status_code == 400
    assert "Approved versions never change" in form.content.decode()

    response = client.post(
        section_url(approved_plan), {"text": "Sneaky change", "revision": before.revision, "save": "1"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Approved versions never change" in html and "Sneaky change</textarea>" in html
    after = version_of(approved_plan)
    assert (after.sections, after.revision, after.content_hash) == (
        before.sections,
        before.revision,
        before.content_hash,
    )


def test_a_version_in_review_cannot_be_edited(process_plan, owner):
    services.submit_plan(version=process_plan.latest_version, actor=owner)
    response = browser_for(owner).get(section_url(process_plan))
    assert response.status_code == 400
    assert "the approver can request changes" in response.content.decode()


def test_unknown_section_is_not_found(process_plan, owner):
    assert browser_for(owner).get(section_url(process_plan, section="scope")).status_code == 404


def test_the_version_page_offers_edit_links_only_to_editors_of_a_draft(process_plan, owner, manager):
    url = reverse("plans:version", args=[process_plan.pk, 1])
    assert section_url(process_plan) in browser_for(owner).get(url).content.decode()
    assert section_url(process_plan) not in browser_for(manager).get(url).content.decode()


def test_the_version_page_renders_sections_objectives_and_responsibilities(process_plan, owner, manager, smp):
    version = version_of(process_plan)
    services.update_draft(
        version=version,
        actor=owner,
        expected_revision=version.revision,
        sections={"roles": "- **Incident manager**: leads major incidents"},
    )
    html = browser_for(manager).get(reverse("plans:version", args=[process_plan.pk, 1])).content.decode()
    assert "<strong>Incident manager</strong>" in html
    assert "Serves SMP objective <strong>O1</strong> Services meet agreed availability" in html
    assert "Incidents resolved within target time" in html
    assert "SMP version 1" in html
    for label in ("Review", "Approval", "Communication", "Implementation", "Updating"):
        assert f"<dt>{label}</dt>" in html


# -- responsibilities -----------------------------------------------------------


def test_the_approver_is_chosen_among_managers_only(process_plan, owner, manager, manager2, staff):
    response = browser_for(owner).get(reverse("plans:responsibilities", args=[process_plan.pk, 1]))
    approvers = set(response.context["form"].fields["approval"].queryset)
    assert approvers == {manager, manager2}
    assert staff in set(response.context["form"].fields["review"].queryset)


def test_responsibilities_form_shows_what_is_missing_and_saves(smp, owner, manager, staff):
    process = factories.ProcessFactory(name="Problem management", owner=owner)
    plan = services.create_process_plan(process=process, actor=owner)
    url = reverse("plans:responsibilities", args=[plan.pk, 1])
    client = browser_for(owner)
    page = client.get(url)
    assert "review, approval, communication, implementation, updating" in page.content.decode()

    response = client.post(
        url,
        {
            "revision": page.context["form"]["revision"].value(),
            "review": [owner.pk],
            "approval": [manager.pk],
            "communication": [manager.pk],
            "implementation": [owner.pk, staff.pk],
            "updating": [owner.pk],
        },
    )
    assert response.status_code == 302
    saved = set(Responsibility.objects.filter(version__plan=plan).values_list("kind", "user__username"))
    assert saved == {
        ("review", "owner"),
        ("approval", "manager"),
        ("communication", "manager"),
        ("implementation", "owner"),
        ("implementation", "staff"),
        ("updating", "owner"),
    }


def test_the_author_cannot_name_himself_approver(manager, manager2):
    smp = services.create_service_management_plan(actor=manager2)
    url = reverse("plans:responsibilities", args=[smp.pk, 1])
    response = browser_for(manager2).post(url, {"approval": [manager2.pk], "review": [manager.pk]})
    assert response.status_code == 400
    html = response.content.decode()
    assert "The approver is never the plan&#x27;s author" in html
    assert response.context["form"]["review"].value() == [str(manager.pk)]  # the choices are kept
    assert not Responsibility.objects.filter(version__plan=smp, kind="approval").exists()


def test_stale_responsibilities_form_is_refused(process_plan, owner, manager):
    version = version_of(process_plan)
    stale = version.revision - 1
    response = browser_for(owner).post(
        reverse("plans:responsibilities", args=[process_plan.pk, 1]),
        {"revision": stale, "approval": [manager.pk]},
    )
    assert response.status_code == 409
    assert version_of(process_plan).revision == version.revision


# -- objectives and KPIs -----------------------------------------------------------


def test_an_objective_traces_only_to_objectives_of_the_conformed_smp_version(process_plan, owner, smp):
    response = browser_for(owner).get(reverse("plans:objective_create", args=[process_plan.pk, 1]))
    choices = list(response.context["form"].fields["traces_to"].queryset)
    assert choices == list(smp.current_version.objectives.all())


def test_adding_an_objective_that_traces_to_the_smp(process_plan, owner, smp):
    smp_objective = smp.current_version.objectives.first()
    response = browser_for(owner).post(
        reverse("plans:objective_create", args=[process_plan.pk, 1]),
        {
            "title": "Keep customers informed",
            "traces_to": smp_objective.pk,
            "revision": version_of(process_plan).revision,
        },
    )
    assert response.status_code == 302
    objective = Objective.objects.get(version__plan=process_plan, title="Keep customers informed")
    assert objective.code == "O2" and objective.traces_to == smp_objective


def test_an_objective_needs_a_title_and_keeps_what_was_typed(process_plan, owner):
    response = browser_for(owner).post(
        reverse("plans:objective_create", args=[process_plan.pk, 1]),
        {"title": "  ", "description": "Why it matters", "revision": version_of(process_plan).revision},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "An objective needs a title." in html and "Why it matters</textarea>" in html


def test_smp_objectives_have_no_trace_field(manager, manager2):
    smp = services.create_service_management_plan(actor=manager2)
    response = browser_for(manager2).get(reverse("plans:objective_create", args=[smp.pk, 1]))
    assert "traces_to" not in response.context["form"].fields


def test_adding_a_kpi(process_plan, owner, staff):
    objective = version_of(process_plan).objectives.first()
    response = browser_for(owner).post(
        reverse("plans:kpi_create", args=[process_plan.pk, 1, objective.pk]),
        {
            "metric": "First-call resolution",
            "unit": "%",
            "direction": "higher",
            "target": "70",
            "owner": staff.pk,
            "frequency": "monthly",
            "revision": version_of(process_plan).revision,
        },
    )
    assert response.status_code == 302
    kpi = Kpi.objects.get(objective=objective, metric="First-call resolution")
    assert (kpi.target, kpi.owner) == (Decimal("70"), staff)


def test_an_incomplete_kpi_says_what_is_missing_per_field(process_plan, owner):
    objective = version_of(process_plan).objectives.first()
    response = browser_for(owner).post(
        reverse("plans:kpi_create", args=[process_plan.pk, 1, objective.pk]),
        {
            "metric": "Backlog age",
            "unit": "",
            "direction": "lower",
            "target": "",
            "frequency": "weekly",
            "revision": version_of(process_plan).revision,
        },
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["unit"] == ["A KPI needs a unit."]
    assert form.errors["target"] == ["A KPI needs a numeric target."]
    assert form["metric"].value() == "Backlog age"
    assert objective.kpis.count() == 1


def test_deleting_an_objective_asks_first(process_plan, owner):
    objective = version_of(process_plan).objectives.first()
    url = reverse("plans:objective_delete", args=[process_plan.pk, 1, objective.pk])
    client = browser_for(owner)
    page = client.get(url)
    assert page.status_code == 200 and "Yes, remove it" in page.content.decode()
    assert Objective.objects.filter(pk=objective.pk).exists()
    assert client.post(url).status_code == 302
    assert not Objective.objects.filter(pk=objective.pk).exists()


def test_an_smp_objective_traced_by_process_plans_cannot_be_deleted(process_plan, smp, manager, manager2):
    draft = services.revise_plan(plan=smp, actor=manager2)
    smp_objective = draft.objectives.first()
    process_version = version_of(process_plan)
    Objective.objects.filter(version=process_version).update(traces_to=smp_objective)  # traced to the draft
    response = browser_for(manager2).post(
        reverse("plans:objective_delete", args=[smp.pk, 2, smp_objective.pk])
    )
    assert response.status_code == 400
    assert "it cannot be removed from this version" in response.content.decode()
    assert Objective.objects.filter(pk=smp_objective.pk).exists()


def test_deleting_a_kpi(process_plan, owner):
    kpi = version_of(process_plan).objectives.first().kpis.first()
    url = reverse("plans:kpi_delete", args=[process_plan.pk, 1, kpi.pk])
    assert browser_for(owner).post(url).status_code == 302
    assert not Kpi.objects.filter(pk=kpi.pk).exists()


def test_a_kpi_of_another_version_is_not_found(approved_plan, owner):
    draft = services.revise_plan(plan=approved_plan, actor=owner)
    old_kpi = version_of(approved_plan).objectives.first().kpis.first()
    assert (
        browser_for(owner)
        .get(reverse("plans:kpi_edit", args=[approved_plan.pk, draft.number, old_kpi.pk]))
        .status_code
        == 404
    )


# -- distribution list and new plans ------------------------------------------------


def test_the_distribution_list_is_saved(process_plan, owner, staff):
    from django.contrib.auth.models import Group

    staff_role = Group.objects.get(name="Staff")
    response = browser_for(owner).post(
        reverse("plans:distribution", args=[process_plan.pk]),
        {"users": [staff.pk], "groups": [staff_role.pk]},
    )
    assert response.status_code == 302
    plan = Plan.objects.get(pk=process_plan.pk)
    assert list(plan.distribution_users.all()) == [staff]
    assert list(plan.distribution_groups.all()) == [staff_role]


def test_a_process_owner_creates_the_plan_of_his_process(smp, owner, other_owner):
    mine = factories.ProcessFactory(name="Problem management", owner=owner)
    theirs = factories.ProcessFactory(name="Release management", owner=other_owner)
    client = browser_for(owner)
    page = client.get(reverse("plans:create"))
    assert list(page.context["form"].fields["process"].queryset) == [mine]

    # Refused for who he is (403, the reason on the page), not told that it is no choice of his.
    refused = client.post(reverse("plans:create"), {"process": theirs.pk})
    assert refused.status_code == 403 and not Plan.objects.filter(process=theirs).exists()
    assert "Only the owner or a deputy of Release management can create its plan." in refused.content.decode()

    response = client.post(reverse("plans:create"), {"process": mine.pk, "title": ""})
    plan = Plan.objects.get(process=mine)
    assert response.url == reverse("plans:version", args=[plan.pk, 1])
    assert plan.title == "Problem management plan"
    assert plan.latest_version.conforms_to == smp.current_version


def test_creating_a_process_plan_before_the_smp_says_so(owner):
    process = factories.ProcessFactory(name="Problem management", owner=owner)
    response = browser_for(owner).post(reverse("plans:create"), {"process": process.pk})
    assert response.status_code == 400
    assert "Create the service management plan first" in response.content.decode()
    assert not Plan.objects.exists()


def test_an_owner_with_every_process_planned_is_told_so(process_plan, owner):
    html = browser_for(owner).get(reverse("plans:create")).content.decode()
    assert "Every process you own or deputise already has a plan." in html


def test_a_kpi_saved_from_a_stale_page_is_refused_and_the_input_kept(process_plan, owner):
    objective = version_of(process_plan).objectives.first()
    kpi = objective.kpis.first()
    opened_at = version_of(process_plan).revision
    services.update_draft(
        version=version_of(process_plan),
        actor=owner,
        expected_revision=opened_at,
        sections={"roles": "Changed"},
    )
    response = browser_for(owner).post(
        reverse("plans:kpi_edit", args=[process_plan.pk, 1, kpi.pk]),
        {
            "metric": "Typed metric",
            "unit": "%",
            "direction": "higher",
            "target": "80",
            "owner": owner.pk,
            "frequency": "monthly",
            "revision": opened_at,
        },
    )
    assert response.status_code == 409
    assert response.context["form"]["metric"].value() == "Typed metric"
    assert Kpi.objects.get(pk=kpi.pk).metric != "Typed metric"
