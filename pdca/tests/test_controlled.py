"""The controlled-document base (pdca.controlled), proven on a small document of
the test app, so that plans, reviews and the CSI principle inherit rules that
are tested once: nobody approves what he or she wrote or edited, an approved
record never changes by any route, its hash stands for its content, a stale
save is refused, and a recipient acknowledges once."""

import pytest
from django import forms
from django.db import connection, transaction

from pdca import controlled
from pdca.controlled import ImmutableRecord, content_hash
from pdca.exceptions import Conflict, NotAllowed
from pdca.models import Decision
from pdca.tests.testapp.models import Memo, MemoAcknowledgement, MemoLine


def _memo(author, status=Memo.Status.DRAFT, **fields):
    """A memo with one line, written as a draft and then put into `status`."""
    memo = Memo.objects.create(title="Memo", body="Text", author=author, last_editor=author, **fields)
    memo.editors.add(author)
    MemoLine.objects.create(memo=memo, text="First line")
    Memo.objects.filter(pk=memo.pk).update(status=status)
    memo.refresh_from_db()
    return memo


def _approve(memo, actor, **kwargs):
    return controlled.approve(
        memo, actor=actor, source=Memo.Status.SUBMITTED, target=Memo.Status.APPROVED, **kwargs
    )


def _approved(author, approver):
    memo = _memo(author, status=Memo.Status.SUBMITTED)
    return _approve(memo, approver)


# -- segregation of duties -----------------------------------------------------


@pytest.mark.django_db
def test_the_author_cannot_approve(owner):
    memo = _memo(owner, status=Memo.Status.SUBMITTED)
    with pytest.raises(NotAllowed, match="wrote"):
        _approve(memo, owner)
    assert Memo.objects.get(pk=memo.pk).status == Memo.Status.SUBMITTED
    assert not Decision.objects.exists()


@pytest.mark.django_db
def test_anybody_who_edited_the_draft_cannot_approve_not_only_the_last_editor(owner, manager, manager2):
    memo = _memo(owner)
    controlled.touch(memo, actor=manager)  # manager edits ...
    controlled.touch(memo, actor=owner)  # ... and the author edits last
    Memo.objects.filter(pk=memo.pk).update(status=Memo.Status.SUBMITTED)
    with pytest.raises(NotAllowed, match="edited"):
        _approve(memo, manager)
    _approve(memo, manager2)
    assert Memo.objects.get(pk=memo.pk).approved_by == manager2


@pytest.mark.django_db
def test_a_person_the_document_excludes_cannot_approve(owner, manager, manager2):
    memo = _memo(owner, status=Memo.Status.SUBMITTED, reviewer=manager)
    with pytest.raises(NotAllowed, match="reviewer"):
        _approve(memo, manager)


@pytest.mark.django_db
def test_the_callers_check_decides_who_may_approve_at_all(owner, staff):
    memo = _memo(owner, status=Memo.Status.SUBMITTED)

    def managers_only(locked):
        raise NotAllowed("Only a manager approves memos.")

    with pytest.raises(NotAllowed, match="Only a manager"):
        _approve(memo, staff, check=managers_only)


# -- the approval and its hash -------------------------------------------------------


@pytest.mark.django_db
def test_approval_stores_the_canonical_content_with_the_approver_and_its_sha256(owner, manager):
    memo = _approved(owner, manager)
    assert memo.approved_by == manager and memo.approved_at is not None
    assert memo.approved_content["lines"] == ["First line"]
    assert memo.approved_content["approval"]["by"] == {"id": manager.pk, "name": str(manager)}
    assert memo.content_hash == content_hash(memo.approved_content)
    assert memo.compute_hash() == memo.content_hash
    assert memo.verification_problems() == []


@pytest.mark.django_db
def test_the_hash_is_stable_and_changes_with_any_change_of_content(owner):
    memo = _memo(owner)
    approval = {"approved_by": owner, "approved_at": memo.edited_at}
    first = content_hash(memo.approval_content(**approval))
    assert content_hash(memo.approval_content(**approval)) == first
    for change in ({"title": "Other"}, {"body": "Text."}):
        changed = Memo(
            **{**{f.attname: getattr(memo, f.attname) for f in Memo._meta.concrete_fields}, **change}
        )
        assert content_hash(changed.approval_content(**approval)) != first, change
    MemoLine.objects.create(memo=memo, text="Second line")
    assert content_hash(memo.approval_content(**approval)) != first


@pytest.mark.django_db
def test_a_raw_database_change_of_an_approved_record_is_found(owner, manager):
    memo = _approved(owner, manager)
    table = Memo._meta.db_table
    with connection.cursor() as cursor:
        try:
            cursor.execute(f"UPDATE {table} SET body = %s WHERE id = %s", ["Altered", memo.pk])
        except Exception:  # a database trigger refused it: nothing to find then
            pytest.skip("The database refuses the change itself.")
    memo.refresh_from_db()
    assert memo.verification_problems() == ["The record differs from the content that was approved."]


@pytest.mark.django_db
def test_renaming_a_person_does_not_make_an_approved_record_look_altered(owner, manager):
    memo = _approved(owner, manager)
    owner.first_name = "Renamed"
    owner.save()
    memo.refresh_from_db()
    assert memo.verification_problems() == []


# -- an approved record never changes ------------------------------------------------------


@pytest.mark.django_db
def test_an_approved_record_refuses_model_save_of_content_state_and_approval(owner, manager, manager2):
    memo = _approved(owner, manager)
    for field, value in (
        ("body", "Changed"),
        ("status", Memo.Status.DRAFT),
        ("approved_by", manager2),
        ("content_hash", "0" * 64),
        ("author", manager2),
    ):
        fresh = Memo.objects.get(pk=memo.pk)
        setattr(fresh, field, value)
        with pytest.raises(ImmutableRecord):
            fresh.save()
    stored = Memo.objects.get(pk=memo.pk)
    assert (stored.body, stored.status, stored.approved_by) == ("Text", Memo.Status.APPROVED, manager)


@pytest.mark.django_db
def test_setting_the_state_back_to_draft_to_edit_and_then_forward_again_is_refused(owner, manager):
    memo = _approved(owner, manager)
    memo.status = Memo.Status.DRAFT
    with pytest.raises(ImmutableRecord):
        memo.save(update_fields=["status"])
    assert Memo.objects.get(pk=memo.pk).status == Memo.Status.APPROVED


@pytest.mark.django_db
def test_an_approved_record_makes_only_its_own_later_transitions(owner, manager):
    memo = _approved(owner, manager)
    from pdca.transitions import transition

    transition(
        memo,
        actor=manager,
        action="archive",
        source=Memo.Status.APPROVED,
        target=Memo.Status.ARCHIVED,
        stamp="archived_at",
    )
    assert Memo.objects.get(pk=memo.pk).status == Memo.Status.ARCHIVED


@pytest.mark.django_db
def test_a_submitted_record_keeps_its_content_until_returned(owner):
    memo = _memo(owner, status=Memo.Status.SUBMITTED)
    memo.body = "Changed while submitted"
    with pytest.raises(ImmutableRecord):
        memo.save()
    memo.refresh_from_db()
    memo.status = Memo.Status.DRAFT  # returned: allowed, and then it may change again
    memo.save()
    memo.body = "Changed after return"
    memo.save()


@pytest.mark.django_db
def test_queryset_update_and_bulk_update_refuse_a_frozen_record(owner, manager):
    memo = _approved(owner, manager)
    with pytest.raises(ImmutableRecord):
        Memo.objects.filter(pk=memo.pk).update(body="Bulk")
    memo.body = "Bulk"
    # bulk_update and delete run in a transaction of their own without a
    # savepoint: the refusal rolls back the enclosing one, as a request's would.
    with pytest.raises(ImmutableRecord), transaction.atomic():
        Memo.objects.bulk_update([memo], ["body"])
    assert Memo.objects.get(pk=memo.pk).body == "Text"
    draft = _memo(owner)
    Memo.objects.filter(pk=draft.pk).update(body="A draft may change")


@pytest.mark.django_db
def test_deleting_a_frozen_record_is_refused_by_every_orm_route(owner, manager):
    memo = _approved(owner, manager)
    with pytest.raises(ImmutableRecord), transaction.atomic():
        memo.delete()
    with pytest.raises(ImmutableRecord), transaction.atomic():
        Memo.objects.filter(pk=memo.pk).delete()
    with pytest.raises(ImmutableRecord), transaction.atomic():
        MemoLine.objects.filter(memo=memo).delete()
    assert Memo.objects.filter(pk=memo.pk).exists() and memo.lines.count() == 1
    draft = _memo(owner)
    draft.delete()  # a draft may go, with its lines
    assert not MemoLine.objects.filter(memo_id=draft.pk).exists()


@pytest.mark.django_db
def test_the_parts_of_a_frozen_record_do_not_change(owner, manager):
    memo = _approved(owner, manager)
    line = memo.lines.get()
    line.text = "Changed"
    with pytest.raises(ImmutableRecord):
        line.save()
    with pytest.raises(ImmutableRecord):
        MemoLine.objects.create(memo=memo, text="Added later")
    with pytest.raises(ImmutableRecord):
        MemoLine.objects.filter(memo=memo).update(text="Bulk")
    assert list(memo.lines.values_list("text", flat=True)) == ["First line"]


@pytest.mark.django_db
def test_a_form_cannot_change_an_approved_record(owner, manager):
    class MemoForm(forms.ModelForm):
        class Meta:
            model = Memo
            fields = ["title", "body"]

    memo = _approved(owner, manager)
    form = MemoForm({"title": "Memo", "body": "Through a form"}, instance=memo)
    assert form.is_valid()
    with pytest.raises(ImmutableRecord):
        form.save()
    assert Memo.objects.get(pk=memo.pk).body == "Text"


@pytest.mark.django_db
@pytest.mark.urls("pdca.tests.testapp.urls")
def test_the_api_cannot_change_or_delete_an_approved_record(owner, manager, api_for):
    memo = _approved(owner, manager)
    api = api_for(manager)
    response = api.patch(f"/api/memos/{memo.pk}/", {"body": "Through the API"}, format="json")
    assert response.status_code == 400 and "cannot be changed" in response.json()["detail"]
    response = api.patch(f"/api/memos/{memo.pk}/", {"status": "draft"}, format="json")
    assert response.status_code == 400
    assert api.delete(f"/api/memos/{memo.pk}/").status_code == 400
    stored = Memo.objects.get(pk=memo.pk)
    assert (stored.body, stored.status) == ("Text", Memo.Status.APPROVED)


# -- editing: revisions and editors ---------------------------------------------------------------


@pytest.mark.django_db
def test_a_save_based_on_a_stale_revision_is_refused(owner, manager):
    memo = _memo(owner)
    opened = memo.revision
    controlled.require_editable(memo, opened)
    controlled.touch(memo, actor=manager)
    with pytest.raises(Conflict) as refused:
        controlled.require_editable(Memo.objects.get(pk=memo.pk), opened)
    assert refused.value.field == "revision" and str(manager) in refused.value.message


@pytest.mark.django_db
def test_an_edit_remembers_its_editor_and_bumps_the_revision(owner, manager):
    memo = _memo(owner)
    controlled.touch(memo, actor=manager)
    stored = Memo.objects.get(pk=memo.pk)
    assert stored.revision == 2 and stored.last_editor == manager
    assert set(stored.editors.all()) == {owner, manager}


@pytest.mark.django_db
def test_a_frozen_record_is_not_editable(owner):
    memo = _memo(owner, status=Memo.Status.SUBMITTED)
    with pytest.raises(ImmutableRecord):
        controlled.require_editable(memo)


# -- acknowledgement -----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_recipient_acknowledges_once_and_only_his_or_her_own_copy(owner, manager, staff):
    memo = _approved(owner, manager)
    copy = MemoAcknowledgement.objects.create(memo=memo, user=staff)
    with pytest.raises(NotAllowed):
        controlled.acknowledge(copy, actor=owner, subject=memo)
    controlled.acknowledge(copy, actor=staff, subject=memo)
    with pytest.raises(Conflict, match="already acknowledged"):
        controlled.acknowledge(copy, actor=staff, subject=memo)
    assert MemoAcknowledgement.objects.get(pk=copy.pk).acknowledged_at is not None
    assert Decision.objects.filter(action="acknowledge", object_id=memo.pk).count() == 1
