"""The one way a record changes state, in every phase.

A service names its rule and calls `transition()`, which does the common steps
in one order, so that no transition can forget one:

1. lock the row and read it fresh (`select_for_update`; on PostgreSQL only the
   row itself, not the rows it joins);
2. check that the record is in a state it may leave for the target, else
   `Conflict` (409): somebody decided first, or the page was stale;
3. run the caller's `check` on the locked row (who may, and the phase's rule);
4. set the state, its timestamp and the caller's other `changes`, and save
   only the fields that changed;
5. record the decision (actor, time, comment, from -> to state);
6. resolve the notifications of the tasks the change completes (`resolves`:
   done by the actor, for everyone they were sent to) or makes needless
   (`withdraws`), so that no notification stays unread for a task that is done;
7. send the caller's notices: the notifications are rows of this transaction,
   their e-mails leave after commit, so a rolled-back change tells nobody.

Services run inside `pdca.history.atomic_as_actor`, so the lock is held until
the service's transaction ends and two decisions at once give one transition
and one refusal.
"""

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from .decisions import record_decision
from .exceptions import Conflict
from .notifications import resolve_tasks


def lock(obj, *, related=()):
    """`obj` re-read from the database and locked until the transaction ends."""
    queryset = type(obj)._default_manager
    if connection.features.has_select_for_update_of:
        queryset = queryset.select_for_update(of=("self",))
    else:
        queryset = queryset.select_for_update()
    if related:
        queryset = queryset.select_related(*related)
    return queryset.get(pk=obj.pk)


def _call(value, obj):
    return value(obj) if callable(value) else value


def state_label(obj, field, value):
    """The human label of a state value (the choice's label when there is one)."""
    choices = dict(obj._meta.get_field(field).flatchoices)
    return str(choices.get(value, value))


def transition(
    obj,
    *,
    actor,
    action,
    source=None,
    target=None,
    field="status",
    comment="",
    stamp=None,
    check=None,
    changes=None,
    notices=(),
    subject=None,
    conflict=None,
    related=(),
    locked=False,
    resolves=(),
    withdraws=(),
):
    """Move `obj` from one of the `source` states to `target` (see the module
    docstring for the steps) and return the locked, changed object.

    - `source`: the state or states the record may leave; `target`: the state
      it enters. With `field=None` the record has no state field (a flag or a
      stamp changes): then `check` alone decides whether the change may happen.
    - `stamp`: the name of the timestamp field set to now.
    - `check(obj)`: raises a `RuleViolation` to refuse; runs on the locked row.
    - `changes`: other field values, a dict or `changes(obj) -> dict`.
    - `notices`: `pdca.notifications.Notice`s, or `notices(obj) -> [Notice]`.
    - `subject`: what the decision is recorded on (default: `obj`), or
      `subject(obj)`.
    - `conflict(obj)`: the message when the state does not allow the change.
    - `locked=True` when the caller already holds the lock on `obj`.
    - `resolves`: the tasks on `obj` this change completes ("approve",
      "review", ...): their notifications are resolved as done by `actor`,
      for everyone; `withdraws`: the tasks it makes needless (resolved as no
      longer needed). A task of one person only is resolved by the service
      with `pdca.notifications.resolve_tasks(obj, tasks, user=...)`.
    """
    obj = obj if locked else lock(obj, related=related)
    from_state = getattr(obj, field) if field else ""
    if field is not None:
        allowed = source if isinstance(source, list | tuple | set | frozenset) else (source,)
        if from_state not in allowed:
            raise Conflict(
                _call(conflict, obj)
                if conflict
                else _(
                    "This is %(state)s: it cannot be changed that way now; it may have been decided already."
                )
                % {"state": state_label(obj, field, from_state).lower()}
            )
    if check is not None:
        check(obj)

    values = {}
    if field is not None:
        values[field] = target
    if stamp:
        values[stamp] = timezone.now()
    values.update(_call(changes, obj) or {})
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    for name, value in values.items():
        setattr(obj, name, value)
    if changed:
        obj.save(update_fields=changed)

    record_decision(
        subject=_call(subject, obj) if subject is not None else obj,
        action=action,
        actor=actor,
        comment=comment,
        from_state=from_state if field else "",
        to_state=target if field else "",
    )
    # Before the notices: a change that completes a task and announces a new
    # one of the same name (reopened, back in implementation) keeps the new one.
    if resolves:
        resolve_tasks(obj, resolves, actor=actor)
    if withdraws:
        resolve_tasks(obj, withdraws, actor=actor, withdrawn=True)
    for notice in _call(notices, obj) or ():
        notice.send()
    return obj


def record_creation(obj, *, actor, action, to_state="", from_state="", comment="", notices=()):
    """A record that starts a life of its own (a plan, a new revision, a
    proposed handover): its decision is recorded and its notices sent, like a
    transition's, from `from_state` (what it was made from) to its first state."""
    record_decision(
        subject=obj,
        action=action,
        actor=actor,
        comment=comment,
        from_state=from_state,
        to_state=to_state,
    )
    for notice in _call(notices, obj) or ():
        notice.send()
    return obj
