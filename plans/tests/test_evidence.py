"""Evidence that holds: an approved plan version, its content, its
acknowledgements and the decision log cannot be changed by any route (model,
queryset, form, API, admin, raw SQL), and what raw database access could still
alter is found by `verify_records`."""

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from pdca.controlled import ImmutableRecord, canonical_json, content_hash
from pdca.exceptions import RuleViolation
from pdca.models import Decision, Notification, VerificationRun
from pdca.verification import verify_records
from plans import services
from plans.models import Acknowledgement, Kpi, Objective, Plan, PlanVersion, Responsibility
from plans.tests import factories

pytestmark = pytest.mark.django_db
Status = PlanVersion.Status


@pytest.fixture
def approved(approved_plan):
    return PlanVersion.objects.get(plan=approved_plan, number=1)


def _unchanged(version):
    stored = PlanVersion.objects.get(pk=version.pk)
    return (stored.status, stored.sections, stored.title, stored.approved_by_id, stored.content_hash) == (
        version.status,
        version.sections,
        version.title,
        version.approved_by_id,
        version.content_hash,
    )


def _raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _without_guard(table):
    """What a database administrator with full rights could do: switch the
    guards off (inside the test's transaction, so they come back)."""
    if connection.vendor == "postgresql":
        # Triggers off for this transaction only (superuser right).
        _raw("SET LOCAL session_replication_role = replica")
    else:
        _raw(f"DROP TRIGGER IF EXISTS {table}_guard")


# -- no route changes an approved version ---------------------------------------------


def test_model_save_of_an_approved_version_is_refused(approved):
    approved.sections = {**approved.sections, "roles": "Changed afterwards."}
    with pytest.raises(ImmutableRecord):
        approved.save()
    fresh = PlanVersion.objects.get(pk=approved.pk)
    fresh.status = Status.DRAFT  # back to draft, to edit and set back: refused at the first step
    with pytest.raises(ImmutableRecord):
        fresh.save(update_fields=["status"])
    assert PlanVersion.objects.get(pk=approved.pk).status == Status.APPROVED


def test_queryset_update_and_delete_of_an_approved_version_are_refused(approved):
    with pytest.raises(ImmutableRecord), transaction.atomic():
        PlanVersion.objects.filter(pk=approved.pk).update(status=Status.DRAFT)
    with pytest.raises(ImmutableRecord), transaction.atomic():
        PlanVersion.objects.filter(pk=approved.pk).delete()
    with pytest.raises(ImmutableRecord), transaction.atomic():
        Plan.objects.filter(pk=approved.plan_id).delete()  # the cascade too
    assert _unchanged(approved)


def test_the_content_of_an_approved_version_cannot_change(approved):
    objective = approved.objectives.get()
    objective.title = "Changed afterwards"
    with pytest.raises(ImmutableRecord):
        objective.save()
    with pytest.raises(ImmutableRecord), transaction.atomic():
        Kpi.objects.filter(objective__version=approved).update(target=1)
    with pytest.raises(ImmutableRecord), transaction.atomic():
        Responsibility.objects.filter(version=approved).delete()
    assert Objective.objects.get(pk=objective.pk).title != "Changed afterwards"
    assert approved.responsibilities.count() == 5


def test_renaming_the_plan_in_a_new_draft_leaves_the_approved_version_and_its_hash(
    approved_plan, owner, approved
):
    draft = services.revise_plan(plan=approved_plan, actor=owner)
    services.update_draft(version=draft, actor=owner, expected_revision=draft.revision, title="Renamed plan")
    assert Plan.objects.get(pk=approved_plan.pk).title == "Renamed plan"
    version_1 = PlanVersion.objects.get(pk=approved.pk)
    assert version_1.title == approved.title != "Renamed plan"
    assert version_1.verification_problems() == []


def test_the_api_cannot_change_an_approved_version(api_for, approved, owner):
    response = api_for(owner).patch(
        f"/api/v1/versions/{approved.pk}/",
        {"revision": approved.revision, "sections": {"roles": "Changed"}},
        format="json",
    )
    assert response.status_code == 400 and "cannot be changed" in response.json()["detail"]
    assert _unchanged(approved)


def test_raw_sql_cannot_change_an_approved_version_its_content_or_a_decision(approved, django_db_blocker):
    for sql, params in (
        ("UPDATE plans_planversion SET status = 'draft' WHERE id = %s", [approved.pk]),
        ("UPDATE plans_planversion SET title = 'Forged' WHERE id = %s", [approved.pk]),
        ("UPDATE plans_objective SET title = 'Forged' WHERE version_id = %s", [approved.pk]),
        ("UPDATE pdca_decision SET comment = 'Forged' WHERE object_id = %s", [approved.pk]),
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            _raw(sql, params)
    assert _unchanged(approved)
    if connection.vendor == "postgresql":
        with pytest.raises(IntegrityError), transaction.atomic():
            _raw("DELETE FROM pdca_decision")
        with pytest.raises(IntegrityError), transaction.atomic():
            _raw("DELETE FROM plans_planversion WHERE id = %s", [approved.pk])


# -- the admin shows evidence read-only ---------------------------------------------------


@pytest.fixture
def superuser(db):
    from accounts.tests.factories import UserFactory

    return UserFactory(username="root", is_superuser=True, is_staff=True)


def test_the_admin_cannot_change_delete_or_revert_an_approved_version(client_for, superuser, approved):
    client = client_for(superuser)
    change_url = reverse("admin:plans_planversion_change", args=[approved.pk])
    page = client.get(change_url)
    assert page.status_code == 200 and b"Save" not in page.content  # shown read-only
    post = client.post(change_url, {"status": "draft", "title": "Forged", "number": 1})
    assert post.status_code == 403
    assert (
        client.post(
            reverse("admin:plans_planversion_delete", args=[approved.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    bulk = client.post(
        reverse("admin:plans_planversion_changelist"),
        {"action": "delete_selected", "_selected_action": [approved.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302, 403)
    history = approved.history.order_by("history_date").first()
    revert_url = reverse("admin:plans_planversion_simple_history", args=[approved.pk, history.history_id])
    assert client.post(revert_url, {"status": "draft"}).status_code == 403
    assert _unchanged(approved) and PlanVersion.objects.filter(pk=approved.pk).exists()


def test_the_admin_cannot_add_change_or_delete_a_decision(client_for, superuser, approved):
    client = client_for(superuser)
    decision = Decision.objects.for_object(approved).filter(action="approve").get()
    assert client.get(reverse("admin:pdca_decision_add")).status_code == 403
    count = Decision.objects.count()
    assert (
        client.post(reverse("admin:pdca_decision_add"), {"action": "approve", "comment": "2020"}).status_code
        == 403
    )
    assert (
        client.post(reverse("admin:pdca_decision_change", args=[decision.pk]), {"comment": "x"}).status_code
        == 403
    )
    assert (
        client.post(reverse("admin:pdca_decision_delete", args=[decision.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert Decision.objects.count() == count
    assert Decision.objects.get(pk=decision.pk).comment == decision.comment


def test_the_admin_cannot_delete_a_plan_that_has_an_approved_version(client_for, superuser, approved):
    response = client_for(superuser).post(
        reverse("admin:plans_plan_delete", args=[approved.plan_id]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert Plan.objects.filter(pk=approved.plan_id).exists()


# -- decisions and acknowledgements ------------------------------------------------------


def test_a_decision_is_never_changed_or_deleted_through_the_orm(approved):
    decision = Decision.objects.for_object(approved).first()
    decision.comment = "Forged"
    with pytest.raises(RuleViolation):
        decision.save()
    with pytest.raises(RuleViolation):
        decision.delete()
    with pytest.raises(RuleViolation):
        Decision.objects.filter(pk=decision.pk).update(comment="Forged")
    with pytest.raises(RuleViolation):
        Decision.objects.all().delete()
    assert Decision.objects.get(pk=decision.pk).comment != "Forged"


def test_decisions_form_a_chain_of_hashes(approved):
    decisions = list(Decision.objects.order_by("sequence"))
    assert [d.sequence for d in decisions] == list(range(1, len(decisions) + 1))
    for previous, decision in zip(decisions, decisions[1:], strict=False):
        assert decision.prev_hash == previous.row_hash
    assert decisions[0].prev_hash == "0" * 64


def test_a_confirmed_acknowledgement_never_changes(communicated_plan, staff):
    version = communicated_plan.current_version
    services.acknowledge_plan(version=version, actor=staff)
    acknowledgement = Acknowledgement.objects.get(version=version, user=staff)
    with pytest.raises(IntegrityError), transaction.atomic():
        Acknowledgement.objects.filter(pk=acknowledgement.pk).update(acknowledged_at=None)
    assert (
        Acknowledgement.objects.get(pk=acknowledgement.pk).acknowledged_at == acknowledgement.acknowledged_at
    )


# -- verify_records finds what raw database access could alter ------------------------------


def test_verify_records_passes_on_untouched_records(approved):
    run = verify_records()
    assert run.ok and run.problems == []
    assert run.records_checked >= 2 and run.decisions_checked == Decision.objects.count()
    assert run.chain_head == Decision.objects.order_by("-sequence").first().row_hash


def test_verify_records_finds_a_hash_mismatch_made_by_raw_sql(approved, administrator):
    _without_guard("plans_planversion")
    _raw("UPDATE plans_planversion SET sections = %s WHERE id = %s", ['{"roles": "Forged"}', approved.pk])
    run = verify_records()
    assert not run.ok
    assert any(f"plan version {approved.pk}" in p and "differs from the content" in p for p in run.problems)
    # ... told to the administrators
    assert Notification.objects.filter(recipient=administrator, subject__contains="problem").exists()


def test_verify_records_finds_stored_content_that_no_longer_matches_its_hash(approved):
    _without_guard("plans_planversion")
    forged = {**approved.approved_content, "title": "Forged"}
    _raw(
        "UPDATE plans_planversion SET approved_content = %s, title = 'Forged' WHERE id = %s",
        [canonical_json(forged).decode(), approved.pk],
    )
    run = verify_records()
    assert any("does not match its SHA-256" in p for p in run.problems)


def test_verify_records_finds_an_edited_decision(approved):
    _without_guard("pdca_decision")
    decision = Decision.objects.order_by("sequence")[1]
    _raw("UPDATE pdca_decision SET comment = 'Forged' WHERE id = %s", [decision.pk])
    problems = verify_records().problems
    assert f"Decision {decision.sequence} was altered: its hash does not match its fields." in problems


def test_verify_records_finds_a_deleted_decision_and_a_shortened_chain(approved):
    _without_guard("pdca_decision")
    middle = Decision.objects.order_by("sequence")[2]
    last = Decision.objects.order_by("-sequence").first()
    _raw("DELETE FROM pdca_decision WHERE id IN (%s, %s)", [middle.pk, last.pk])
    problems = verify_records().problems
    assert any(f"Decision {middle.sequence} is missing" in p for p in problems)
    assert any("decisions were removed from its end" in p for p in problems)


def test_verify_records_finds_an_approved_version_deleted_by_raw_sql(approved):
    _without_guard("plans_planversion")
    _raw("DELETE FROM plans_responsibility WHERE version_id = %s", [approved.pk])
    _raw(
        "DELETE FROM plans_kpi WHERE objective_id IN (SELECT id FROM plans_objective WHERE version_id = %s)",
        [approved.pk],
    )
    _raw("DELETE FROM plans_objective WHERE version_id = %s", [approved.pk])
    _raw("DELETE FROM plans_acknowledgement WHERE version_id = %s", [approved.pk])
    _raw("UPDATE plans_plan SET conforms_to_id = NULL WHERE conforms_to_id = %s", [approved.pk])
    _raw("DELETE FROM plans_planversion_editors WHERE planversion_id = %s", [approved.pk])
    _raw("DELETE FROM plans_planversion WHERE id = %s", [approved.pk])
    problems = verify_records().problems
    assert any(f"plan version {approved.pk} was approved (decision log) but is gone" in p for p in problems)


def test_the_command_exits_1_and_names_the_problem(approved, capsys):
    _without_guard("pdca_decision")
    _raw("UPDATE pdca_decision SET actor_id = actor_id, comment = 'x' WHERE sequence = 1")
    with pytest.raises(SystemExit) as exited:
        call_command("verify_records")
    assert exited.value.code == 1
    assert "Decision 1 was altered" in capsys.readouterr().err


def test_healthz_shows_the_last_verification(client, approved):
    assert client.get("/healthz").json()["records"]["status"] == "not verified yet"
    verify_records()
    body = client.get("/healthz").json()
    assert body["records"]["status"] == "verified" and body["status"] == "up"
    _without_guard("pdca_decision")
    _raw("UPDATE pdca_decision SET comment = 'x' WHERE sequence = 1")
    verify_records(notify_administrators=False)
    body = client.get("/healthz").json()
    assert body["records"]["status"] == "mismatch" and body["status"] == "degraded"
    assert VerificationRun.objects.count() == 2


def test_the_daily_job_is_on_the_beat_schedule():
    from pdca.celery import app

    entry = app.conf.beat_schedule["verify-records"]
    assert entry["task"] == "pdca.tasks.verify_records"


# -- the version page shows its verified hash --------------------------------------------


def test_the_version_page_shows_the_verified_hash_and_the_content_to_recompute_it(
    client_for, auditor, approved
):
    client = client_for(auditor)
    html = client.get(approved.get_absolute_url()).content.decode()
    assert "Content verified" in html and approved.content_hash in html
    download = client.get(reverse("plans:approved_content", args=[approved.plan_id, approved.number]))
    assert download.status_code == 200
    import hashlib

    assert hashlib.sha256(download.content).hexdigest() == approved.content_hash
    assert content_hash(approved.approved_content) == approved.content_hash


def test_the_version_page_says_when_the_record_does_not_match(client_for, auditor, approved):
    _without_guard("plans_planversion")
    _raw("UPDATE plans_planversion SET title = 'Forged' WHERE id = %s", [approved.pk])
    html = client_for(auditor).get(approved.get_absolute_url()).content.decode()
    assert "Does not match" in html and "Content verified" not in html


def test_the_api_exposes_the_canonical_content_the_hash_is_taken_over(api_for, auditor, approved):
    body = api_for(auditor).get(f"/api/v1/versions/{approved.pk}/").json()
    assert content_hash(body["approved_content"]) == body["content_hash"] == approved.content_hash
    assert body["approved_content"]["approval"]["by"]["name"] == "Morgan Meyer"


def test_the_hash_covers_the_names_and_the_approval_as_they_were(approved, manager):
    content = approved.approved_content
    assert content["title"] == approved.title
    assert {r["user"]["name"] for r in content["responsibilities"]} >= {"Olivia Owen", "Morgan Meyer"}
    assert content["approval"]["at"] == approved.approved_at.isoformat()
    manager.first_name = "Renamed"
    manager.save()
    assert PlanVersion.objects.get(pk=approved.pk).verification_problems() == []


def test_a_plan_approved_before_its_content_was_stored_is_verifiable(approved):
    """The data migration stores the canonical content of versions approved
    before it: run on such a version, it gives the content the model gives."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("plans.migrations.0005_evidence_guards")
    _without_guard("plans_planversion")
    _raw(
        "UPDATE plans_planversion SET approved_content = NULL, content_hash = '' WHERE id = %s", [approved.pk]
    )
    migration.store_approved_content(apps, None)
    stored = PlanVersion.objects.get(pk=approved.pk)
    assert stored.approved_content == approved.approved_content
    assert stored.content_hash == approved.content_hash


def test_factories_still_build_every_state(smp, owner, manager):
    plan = factories.approved_process_plan(owner, manager, name="Problem management")
    assert plan.current_version.status == Status.APPROVED
