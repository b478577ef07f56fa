"""The one transition helper (pdca.transitions): every state change of every
phase locks the row, checks the state, records one decision and notifies after
commit. Proven on a small controlled document of the test app."""

import threading

import pytest
from django.core import mail
from django.db import connection, transaction

from pdca.exceptions import Conflict, NotAllowed, RuleViolation
from pdca.models import Decision, Notification
from pdca.notifications import Notice
from pdca.tests.testapp.models import Memo
from pdca.transitions import transition


def _memo(author, **fields):
    return Memo.objects.create(title="Memo", author=author, last_editor=author, **fields)


def _submit(memo, actor, **kwargs):
    return transition(
        memo,
        actor=actor,
        action="memo_submit",
        source=Memo.Status.DRAFT,
        target=Memo.Status.SUBMITTED,
        stamp="submitted_at",
        **kwargs,
    )


@pytest.mark.django_db
def test_a_transition_changes_the_state_and_its_stamp_and_records_one_decision(owner):
    memo = _memo(owner)
    changed = _submit(memo, owner, comment="Ready.")
    stored = Memo.objects.get(pk=memo.pk)
    assert stored.status == Memo.Status.SUBMITTED and stored.submitted_at is not None
    assert changed.status == Memo.Status.SUBMITTED
    decision = Decision.objects.for_object(memo).get()
    assert (decision.action, decision.actor, decision.comment) == ("memo_submit", owner, "Ready.")
    assert (decision.from_state, decision.to_state) == ("draft", "submitted")
    assert decision.action_label == "submitted the memo"


@pytest.mark.django_db
def test_a_wrong_start_state_is_refused_and_changes_nothing(owner):
    memo = _memo(owner, status=Memo.Status.SUBMITTED)
    with pytest.raises(Conflict) as refused:
        _submit(memo, owner, changes={"body": "Changed on the way"})
    assert "submitted" in refused.value.message
    stored = Memo.objects.get(pk=memo.pk)
    assert (stored.status, stored.body, stored.submitted_at) == (Memo.Status.SUBMITTED, "", None)
    assert not Decision.objects.for_object(memo).exists()


@pytest.mark.django_db
def test_the_callers_check_runs_on_the_locked_row_and_its_refusal_changes_nothing(owner, manager):
    memo = _memo(owner)

    def only_the_author(locked):
        if locked.author_id != manager.pk:
            raise NotAllowed("Only the author submits.")

    with pytest.raises(NotAllowed, match="Only the author"):
        _submit(memo, manager, check=only_the_author)
    assert Memo.objects.get(pk=memo.pk).status == Memo.Status.DRAFT
    assert not Decision.objects.exists()


@pytest.mark.django_db
def test_only_the_changed_fields_are_saved(owner, django_assert_num_queries):
    memo = _memo(owner)
    # Somebody else changes the body in between: the transition must not write it back.
    Memo.objects.filter(pk=memo.pk).update(body="Written meanwhile")
    _submit(memo, owner)
    assert Memo.objects.get(pk=memo.pk).body == "Written meanwhile"


@pytest.mark.django_db
def test_decision_and_notification_once_and_the_email_after_commit(
    owner, manager, django_capture_on_commit_callbacks
):
    memo = _memo(owner)
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        _submit(
            memo,
            owner,
            notices=lambda m: [Notice(recipients=[manager, manager], subject=f"{m} submitted")],
        )
        assert mail.outbox == []  # nothing leaves before the commit
    assert len(callbacks) == 1
    assert Decision.objects.count() == 1
    assert list(Notification.objects.values_list("recipient", "subject")) == [(manager.pk, "Memo submitted")]
    assert [m.to for m in mail.outbox] == [[manager.email]]


@pytest.mark.django_db
def test_a_rolled_back_transition_leaves_no_decision_no_notification_and_sends_nothing(
    owner, manager, django_capture_on_commit_callbacks
):
    memo = _memo(owner)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuleViolation),
        transaction.atomic(),
    ):
        _submit(memo, owner, notices=[Notice(recipients=[manager], subject="Submitted")])
        raise RuleViolation("A later rule of the same service refuses.")
    assert callbacks == []
    assert not Decision.objects.exists() and not Notification.objects.exists()
    assert mail.outbox == []
    assert Memo.objects.get(pk=memo.pk).status == Memo.Status.DRAFT


@pytest.mark.django_db
def test_a_transition_without_a_state_field_is_decided_by_its_check(owner):
    memo = _memo(owner)

    def not_twice(locked):
        if locked.body:
            raise Conflict("Already noted.")

    transition(memo, actor=owner, action="note", field=None, check=not_twice, changes={"body": "noted"})
    with pytest.raises(Conflict):
        transition(memo, actor=owner, action="note", field=None, check=not_twice, changes={"body": "again"})
    assert Memo.objects.get(pk=memo.pk).body == "noted"
    assert Decision.objects.filter(action="note").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_transitions_at_once_give_one_change_and_one_refusal(owner):
    """The row lock serialises them: the second reads the changed state and is
    refused. On PostgreSQL these are real concurrent transactions."""
    memo = _memo(owner)
    barrier = threading.Barrier(2)
    results = []

    def run():
        try:
            # Each request has read the draft before either decides.
            mine = Memo.objects.get(pk=memo.pk)
            barrier.wait(timeout=10)
            with transaction.atomic():
                results.append(_submit(mine, owner))
        except RuleViolation as refusal:
            results.append(refusal)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "Memo"], results
    assert Decision.objects.filter(action="memo_submit").count() == 1
