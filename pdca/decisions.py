"""The decision log: one function writes every decision record, as a hash chain.

Each decision carries a sequence number, the hash of the decision before it and
the SHA-256 of its own fields with that hash. Deleting or editing a row, or
recomputing one row's hash, breaks the chain at that row, and `verify_chain()`
(run daily by `verify_records`) finds it; the head hash is published outside
the database (in the verification log and the reports), so that recomputing the
whole chain is noticed too.

Appends are serialised by locking the chain head. A service's decisions are
appended at the end of its transaction (`pdca.history.atomic_as_actor` opens a
batch), so the head lock is the last lock a service takes and is held only for
a moment: two services never wait for each other's head lock while holding a
row the other needs. Outside a service a decision is appended at once.

How each action reads ("<actor> approved version 2") is registered by the app
that owns the action (`pdca.registry.register_decision_labels`).
"""

import hashlib
import json
import threading
from contextlib import contextmanager
from datetime import UTC

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q

from .models import GENESIS_HASH, Decision, DecisionChainHead

_local = threading.local()


def row_hash(decision, prev_hash):
    """The SHA-256 of a decision's fields and the hash of the decision before it."""
    content_type = ContentType.objects.get_for_id(decision.content_type_id)
    fields = {
        "sequence": decision.sequence,
        "subject": f"{content_type.app_label}.{content_type.model}:{decision.object_id}",
        "action": decision.action,
        "actor": decision.actor_id,
        "at": decision.at.astimezone(UTC).isoformat(),
        "comment": decision.comment,
        "from_state": decision.from_state,
        "to_state": decision.to_state,
        "prev_hash": prev_hash,
    }
    payload = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(payload).hexdigest()


def record_decision(*, subject, action, actor, comment="", from_state="", to_state=""):
    decision = Decision(
        subject=subject,
        action=action,
        actor=actor,
        comment=comment or "",
        from_state=from_state or "",
        to_state=to_state or "",
    )
    batch = getattr(_local, "batch", None)
    if batch is not None:
        batch.append(decision)
    else:
        append([decision])
    return decision


def append(decisions):
    """Link `decisions` to the chain, in order, and insert them."""
    if not decisions:
        return []
    head, _created = DecisionChainHead.objects.get_or_create(pk=1)
    head = DecisionChainHead.objects.select_for_update().get(pk=head.pk)
    for decision in decisions:
        decision.sequence = head.sequence + 1
        decision.prev_hash = head.hash
        decision.row_hash = row_hash(decision, head.hash)
        head.sequence, head.hash = decision.sequence, decision.row_hash
    Decision.objects.bulk_create(decisions)
    head.save(update_fields=["sequence", "hash"])
    return decisions


@contextmanager
def batch():
    """Collect the decisions recorded inside, and append them when the block
    ends without an exception (still inside the caller's transaction). Nested
    batches join the outermost one."""
    if getattr(_local, "batch", None) is not None:
        yield
        return
    _local.batch = []
    try:
        yield
        pending = _local.batch
        _local.batch = None
        append(pending)
    finally:
        _local.batch = None


def verify_chain():
    """The problems of the decision chain, or []: every row's hash recomputed,
    every link to the row before, no gap in the sequence, and the head."""
    problems = []
    expected_prev = GENESIS_HASH
    expected_sequence = 1
    count = 0
    for decision in Decision.objects.order_by("sequence").iterator(chunk_size=2000):
        count += 1
        if decision.sequence != expected_sequence:
            problems.append(
                f"Decision {expected_sequence} is missing (the chain continues at {decision.sequence})."
            )
        if decision.prev_hash != expected_prev:
            problems.append(f"Decision {decision.sequence} does not link to the decision before it.")
        if row_hash(decision, decision.prev_hash) != decision.row_hash:
            problems.append(f"Decision {decision.sequence} was altered: its hash does not match its fields.")
        expected_prev = decision.row_hash
        expected_sequence = decision.sequence + 1
    head = DecisionChainHead.objects.filter(pk=1).first()
    if head is not None and (head.sequence, head.hash) != (expected_sequence - 1, expected_prev):
        problems.append(
            f"The chain ends at decision {expected_sequence - 1}, but its head says {head.sequence}: "
            "decisions were removed from its end."
        )
    return problems, count, expected_prev


def timeline(*subjects):
    """The decisions on several objects (a plan and its versions), oldest first."""
    query = Q(pk__in=[])
    for subject in subjects:
        query |= Q(content_type=ContentType.objects.get_for_model(subject), object_id=subject.pk)
    return Decision.objects.filter(query).select_related("actor", "content_type").order_by("at", "pk")
