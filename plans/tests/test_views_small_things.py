"""What the plan pages show: every plan's owner in the list (the SMP's too),
and targets with their meaningful precision on pages and in the PDF."""

import pytest
from django.urls import reverse

from plans import reports
from plans.tests import factories
from plans.tests.test_views_list import queries_for

pytestmark = pytest.mark.django_db


def test_the_plan_list_names_the_owner_of_every_plan_the_smp_too(
    smp, approved_plan, client_for, owner, manager
):
    response = client_for(manager).get(reverse("plans:list"))
    assert response.status_code == 200
    shown = {plan.title: [str(p) for p in plan.owners_shown] for plan in response.context["page"]}
    # The SMP has no process: it belongs to the people responsible for updating it.
    assert shown == {smp.title: ["Dana Brooks"], approved_plan.title: ["Olivia Owen"]}
    html = response.content.decode()
    assert 'Dana Brooks</span> <span class="muted small">(updating)</span>' in html


def test_the_plan_list_shows_owners_in_a_constant_number_of_queries(smp, client_for, manager, manager2):
    client = client_for(manager)
    for n in range(2):
        process = factories.ProcessFactory(name=f"Few {n}")
        factories.draft_process_plan(process.owner, manager, process=process)
    few = queries_for(client, reverse("plans:list"))
    for n in range(6):
        process = factories.ProcessFactory(name=f"Many {n}")
        factories.draft_process_plan(process.owner, manager, process=process)
    assert queries_for(client, reverse("plans:list")) == few
    page = client.get(reverse("plans:list")).context["page"]
    assert len(page) == 9
    assert all(plan.owners_shown for plan in page)


def test_targets_show_their_meaningful_precision_on_the_version_page_and_in_the_pdf(
    process_plan, client_for, owner
):
    html = client_for(owner).get(reverse("plans:version", args=[process_plan.pk, 1])).content.decode()
    assert "≥ 95 %" in html and "95.0000" not in html and "95,0000" not in html
    data = reports.version_report(process_plan.latest_version)
    assert [k["target"] for o in data["objectives"] for k in o["kpis"]] == ["≥ 95 %"]
