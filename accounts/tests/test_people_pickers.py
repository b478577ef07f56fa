"""People pickers: only the people who may hold a responsibility are offered,
searched and accepted, by the form, the API and the services alike
(`accounts.people`)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import people, roles
from accounts.tests.factories import UserFactory
from pdca.exceptions import RuleViolation
from plans.do import selectors as do_selectors
from plans.do import services as implementation
from plans.models import KpiAssignment, Responsibility
from plans.tests.test_views_list import queries_for

pytestmark = pytest.mark.django_db


def _responsibilities(plan):
    return set(Responsibility.objects.filter(version__plan=plan).values_list("kind", "user_id"))


def _form_data(page, **kinds):
    data = {"revision": page.context["form"]["revision"].value()}
    data.update({kind: [u.pk for u in users] for kind, users in kinds.items()})
    return data


# -- who may hold what ---------------------------------------------------------------


def test_only_active_managers_may_approve(manager, manager2, owner, auditor, staff, administrator):
    leaver = UserFactory(username="gone", roles=[roles.MANAGER], is_active=False)
    assert set(people.eligible_for(people.APPROVER)) == {manager, manager2}
    assert "must be a manager" in people.eligibility_refusal(owner, people.APPROVER)
    assert "no longer active" in people.eligibility_refusal(leaver, people.APPROVER)


def test_auditors_and_administrators_operate_nothing(
    manager, owner, auditor, staff, csi_owner, administrator
):
    manager_who_audits = UserFactory(username="both", roles=[roles.MANAGER, roles.AUDITOR])
    assert set(people.eligible_for(people.OPERATOR)) == {manager, owner, staff, csi_owner}
    assert set(people.eligible_for(people.RESPONSIBLE)) == {manager, owner, csi_owner}
    assert people.eligibility_refusal(auditor, people.OPERATOR)
    assert people.eligibility_refusal(manager_who_audits, people.APPROVER)


# -- the form -----------------------------------------------------------------------


def test_the_responsibilities_form_refuses_a_person_who_may_not_approve(
    client_for, process_plan, owner, other_owner
):
    url = reverse("plans:responsibilities", args=[process_plan.pk, 1])
    client = client_for(owner)
    before = _responsibilities(process_plan)
    page = client.get(url)
    assert other_owner not in set(page.context["form"].fields["approval"].queryset)
    response = client.post(url, _form_data(page, review=[owner], approval=[other_owner]))
    assert response.status_code != 302  # the form again, with the reason
    assert response.context["form"].errors["approval"] == [
        "Peter Park cannot be named approver: the approver must be a manager."
    ]
    assert _responsibilities(process_plan) == before


def test_the_operator_form_refuses_an_auditor(client_for, implementing_plan, owner, auditor):
    kpi = do_selectors.current_kpis(implementing_plan)[0]
    url = reverse("do:kpi_operator", args=[implementing_plan.pk, kpi.pk])
    response = client_for(owner).post(url, {"operator": auditor.pk}, follow=True)
    assert "Ada Aldridge cannot be named operator" in response.content.decode()
    assert not KpiAssignment.objects.exists()


@pytest.mark.parametrize("typed", ["Dana Brooks (manager2)", "manager2", "dana brooks"])
def test_a_picker_of_many_people_takes_a_typed_name(
    settings, client_for, process_plan, owner, manager2, typed
):
    settings.PICKER_MAX_CHOICES = 1  # more managers than that: a search field, not a list
    url = reverse("plans:responsibilities", args=[process_plan.pk, 1])
    client = client_for(owner)
    page = client.get(url)
    html = page.content.decode()
    assert 'name="approval_add"' in html and f"{reverse('people_search')}?for=approver" in html
    assert 'value="' + str(manager2.pk) + '"' not in html  # nobody listed who is not chosen
    data = _form_data(page, review=[owner])
    data["approval_add"] = typed
    assert client.post(url, data).status_code == 302
    assert (Responsibility.Kind.APPROVAL, manager2.pk) in _responsibilities(process_plan)


def test_a_picker_of_many_people_reads_none_of_them(settings, client_for, process_plan, owner):
    settings.PICKER_MAX_CHOICES = 3
    client = client_for(owner)
    url = reverse("plans:responsibilities", args=[process_plan.pk, 1])
    few = queries_for(client, url)
    for n in range(30):
        UserFactory(username=f"colleague{n}", first_name="Kim", last_name=f"Lang{n}", roles=[roles.STAFF])
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200 and len(captured) == few
    # No query reads the people at large: only counts, the ones chosen, the ones logged in.
    unbounded = [
        q["sql"]
        for q in captured
        if q["sql"].startswith('SELECT "accounts_user"."id"')
        and "LIMIT" not in q["sql"]
        and " IN (" not in q["sql"]
    ]
    assert unbounded == []
    assert "Kim Lang" not in response.content.decode()  # searched for, not listed
    assert "Olivia Owen" in response.content.decode()  # the people chosen are shown


def test_a_typed_name_of_someone_who_may_not_approve_is_refused(
    settings, client_for, process_plan, owner, auditor
):
    settings.PICKER_MAX_CHOICES = 1
    url = reverse("plans:responsibilities", args=[process_plan.pk, 1])
    client = client_for(owner)
    before = _responsibilities(process_plan)
    page = client.get(url)
    for typed, message in (
        ("Ada Aldridge", "Ada Aldridge cannot be named approver"),
        ("Nobody Known", "Nobody called “Nobody Known” is active"),
    ):
        data = _form_data(page, review=[owner])
        data["approval_add"] = typed
        response = client.post(url, data)
        assert response.status_code != 302
        assert message in response.context["form"].errors["approval"][0]
        assert typed in response.content.decode()  # what was typed is kept
    assert _responsibilities(process_plan) == before


# -- the API and the services -----------------------------------------------------------


def test_the_api_refuses_a_person_who_may_not_approve(api_for, process_plan, owner, staff):
    version = process_plan.latest_version
    before = _responsibilities(process_plan)
    response = api_for(owner).put(
        f"/api/v1/versions/{version.pk}/responsibilities/", {"approval": [staff.pk]}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"]["approval"] == [
        "Sam Stone cannot be named approver: the approver must be a manager."
    ]
    assert _responsibilities(process_plan) == before


def test_the_api_refuses_an_auditor_as_operator(api_for, implementing_plan, owner, auditor):
    kpi = do_selectors.current_kpis(implementing_plan)[0]
    response = api_for(owner).post(
        f"/api/v1/implementations/{implementing_plan.pk}/assign-operator/",
        {"kpi": kpi.pk, "operator": auditor.pk},
        format="json",
    )
    assert response.status_code == 400
    assert "Ada Aldridge cannot be named operator" in response.json()["errors"]["operator"][0]
    assert not KpiAssignment.objects.exists()


def test_the_service_refuses_an_auditor_as_handover_receiver(implementing_plan, owner, auditor):
    with pytest.raises(RuleViolation) as refused:
        implementation.propose_handover(plan=implementing_plan, actor=owner, receivers=[auditor])
    assert "receivers" in refused.value.errors
    assert not implementing_plan.handovers.exists()


# -- the search ----------------------------------------------------------------------------


def _search(client, responsibility, text):
    return client.get(reverse("people_search"), {"for": responsibility, "q": text})


def test_the_search_finds_only_eligible_active_matching_people(client_for, owner, manager, manager2, auditor):
    UserFactory(
        username="mgone", first_name="Mona", last_name="Meyer", roles=[roles.MANAGER], is_active=False
    )
    UserFactory(username="amy", first_name="Amy", last_name="Meyer", roles=[roles.AUDITOR])
    response = _search(client_for(owner), people.APPROVER, "meyer")
    assert response.status_code == 200
    assert [p["username"] for p in response.json()["results"]] == ["manager"]
    assert response.json()["results"][0]["label"] == "Morgan Meyer (manager)"


def test_the_search_returns_at_most_twenty(client_for, owner):
    for n in range(25):
        UserFactory(username=f"staff{n:02}", first_name="Pat", last_name=f"Lee{n:02}", roles=[roles.STAFF])
    results = _search(client_for(owner), people.OPERATOR, "pat lee").json()["results"]
    assert len(results) == people.SEARCH_LIMIT == 20
    assert [p["username"] for p in results] == [f"staff{n:02}" for n in range(20)]


def test_the_search_needs_a_login_and_a_known_responsibility(client, client_for, owner):
    anonymous = _search(client, people.APPROVER, "meyer")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    unknown = _search(client_for(owner), "emperor", "meyer")
    assert unknown.status_code == 400 and "for" in unknown.json()


def test_the_search_shows_e_mail_addresses_only_to_those_who_read_everything(client, manager, owner, staff):
    client.force_login(staff)
    [found] = _search(client, people.OPERATOR, "olivia").json()["results"]
    assert "email" not in found and "owner@example.com" not in str(found)
    client.force_login(manager)
    [found] = _search(client, people.OPERATOR, "olivia").json()["results"]
    assert found["email"] == "owner@example.com"


def test_the_search_does_not_search_e_mail_addresses(client_for, staff, owner):
    owner.email = "secret.alias@example.com"
    owner.save()
    assert _search(client_for(staff), people.OPERATOR, "secret.alias").json()["results"] == []


# -- the Plan services refuse the same people, whatever the route ---------------------------------------


def test_the_plan_services_refuse_people_who_may_not_hold_the_responsibility(
    process_plan, owner, manager, auditor, administrator
):
    from plans import services as plan_services
    from plans.models import Kpi, Process

    version = process_plan.versions.get()
    # P2: an auditor holds no responsibility of a plan (he or she audits it).
    with pytest.raises(RuleViolation) as refused:
        plan_services.set_responsibilities(
            version=version,
            actor=owner,
            expected_revision=version.revision,
            assignments={Responsibility.Kind.REVIEW: [auditor], Responsibility.Kind.APPROVAL: [manager]},
        )
    assert refused.value.field == Responsibility.Kind.REVIEW
    assert not Responsibility.objects.filter(version=version, user=auditor).exists()
    # D1: nor owns a KPI.
    objective = version.objectives.first()
    with pytest.raises(RuleViolation) as refused:
        plan_services.save_kpi(
            objective=objective,
            actor=owner,
            metric="Backlog",
            unit="tickets",
            direction="lower",
            target=10,
            owner=auditor,
            frequency="monthly",
        )
    assert refused.value.field == "owner" and not Kpi.objects.filter(owner=auditor).exists()
    # A process is owned and deputised by managers, process owners and CSI owners.
    with pytest.raises(RuleViolation) as refused:
        plan_services.save_process(actor=manager, name="Capacity", owner=auditor)
    assert refused.value.field == "owner" and not Process.objects.filter(name="Capacity").exists()
    with pytest.raises(RuleViolation) as refused:
        plan_services.save_process(actor=manager, name="Capacity", owner=owner, deputies=[administrator])
    assert refused.value.field == "deputies" and not Process.objects.filter(name="Capacity").exists()
    # P6: the distribution list names people with a role.
    nobody = UserFactory()
    with pytest.raises(RuleViolation) as refused:
        plan_services.set_distribution(plan=process_plan, actor=owner, users=[nobody], groups=[])
    assert refused.value.field == "users" and not process_plan.distribution_users.exists()
