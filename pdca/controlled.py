"""Controlled documents: the records an auditor relies on, written once for every phase.

A controlled document (a plan version, a review, the CSI principle) is written
while it is editable, then submitted and approved; from approval on it never
changes. Its parts (objectives, KPIs, findings, ...) follow their document.
The rules live here, as abstract models and a few service helpers, so that each
phase gets them by inheritance:

- the state field decides whether the content may change (`EDITABLE_STATES`);
  once frozen, only the transitions the services make (`FROZEN_TRANSITIONS`)
  change the state, and after approval nothing else changes either: model
  `save()`, queryset `update()`, `delete()` (also as a cascade or a bulk
  delete) refuse with `ImmutableRecord`, and so do forms, the API and the admin,
  which all save through the model;
- edits carry the revision they started from: a save based on an older
  revision is refused (`Conflict`), and the page keeps what the user typed;
- every editor is remembered (`editors`): the approver is never the author nor
  anyone who edited the document, nor anyone the document excludes
  (`approval_excluded_users()`, e.g. the participants of a review);
- approval stores the canonical content (`canonical_content()`), including the
  names and the title as they are at that moment, and its SHA-256, so that the
  record can be verified later (`verification_problems()`);
- a document may be sent to people who acknowledge having read it.
"""

import hashlib
import json

from django.conf import settings
from django.db import models
from django.db.models.signals import pre_delete
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .exceptions import Conflict, NotAllowed, RuleViolation
from .notifications import resolve_tasks
from .transitions import transition


class ImmutableRecord(RuleViolation):
    """A frozen controlled document (or a part of one) was about to change."""

    def __init__(self, document, message=None):
        super().__init__(message or document.immutable_message())
        self.document = document


# -- the content hash --------------------------------------------------------


def canonical_json(content):
    """The exact bytes the content hash is taken over: keys sorted, no spaces, UTF-8."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def content_hash(content):
    return hashlib.sha256(canonical_json(content)).hexdigest()


def without_names(content):
    """The content without the display names of people and things: names are
    snapshots taken at approval (a person may be renamed later), ids are not."""
    if isinstance(content, dict):
        return {key: without_names(value) for key, value in content.items() if key != "name"}
    if isinstance(content, list):
        return [without_names(value) for value in content]
    return content


def person(user):
    """A person in canonical content: the id that stays, the name as it is now."""
    if user is None:
        return None
    return {"id": user.pk, "name": str(user)}


# -- the document ------------------------------------------------------------


class ControlledDocumentQuerySet(models.QuerySet):
    def update(self, **kwargs):
        """A bulk update never changes a frozen document, except the fields a
        frozen document's transitions may change (`FROZEN_UPDATABLE_FIELDS`)."""
        model = self.model
        protected = set(kwargs) - set(model.FROZEN_UPDATABLE_FIELDS)
        if protected:
            frozen = self.exclude(**{f"{model.STATE_FIELD}__in": model.EDITABLE_STATES}).first()
            if frozen is not None:
                raise ImmutableRecord(frozen)
        return super().update(**kwargs)

    update.queryset_only = True


class ControlledDocument(models.Model):
    """Abstract base of every controlled document. A subclass declares its
    state field (`STATE_FIELD`, with choices) and:

    - `EDITABLE_STATES`: the content may change (draft, planned, ...);
    - `APPROVED_STATES`: approved, and the states after it;
    - `FROZEN_TRANSITIONS`: the (from, to) state changes a frozen document may
      still make (in review -> draft, approved -> communicated, ...);
    - `AFTER_APPROVAL_FIELDS`: fields those later transitions set
      (communicated_at, superseded_at, ...);
    - `CONTENT_FIELDS`: its own fields that are content (frozen from submission);
    - `canonical_content()`: everything the approval covers.
    """

    STATE_FIELD = "status"
    EDITABLE_STATES = ()
    APPROVED_STATES = ()
    FROZEN_TRANSITIONS = frozenset()
    AFTER_APPROVAL_FIELDS = ()
    CONTENT_FIELDS = ()
    # What a bulk update may touch on a frozen row (nothing, unless a subclass says so).
    FROZEN_UPDATABLE_FIELDS = ()

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    last_editor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    editors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        help_text=gettext_lazy("Everybody who changed the document while it could change."),
    )
    edited_at = models.DateTimeField(default=timezone.now)
    # Optimistic lock: every change of content increments it, and a save that
    # started from an older revision is refused (nothing typed is lost).
    revision = models.PositiveIntegerField(default=1)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_content = models.JSONField(
        null=True,
        blank=True,
        editable=False,
        help_text=gettext_lazy("The canonical content as approved; the content hash is taken over it."),
    )
    content_hash = models.CharField(
        max_length=64, blank=True, help_text=gettext_lazy("SHA-256 of the approved content.")
    )

    objects = ControlledDocumentQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding and not kwargs.get("force_insert"):
            stored = type(self)._base_manager.filter(pk=self.pk).values(*self._guarded_attnames()).first()
            if stored is not None:
                self._refuse_change_of_frozen(stored)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        refuse_deletion_of_frozen(type(self), self)
        return super().delete(*args, **kwargs)

    # -- state ---------------------------------------------------------------

    @property
    def state(self):
        return getattr(self, self.STATE_FIELD)

    @property
    def is_editable(self):
        return self.state in self.EDITABLE_STATES

    @property
    def is_frozen(self):
        return not self.is_editable

    @property
    def is_approved(self):
        return self.state in self.APPROVED_STATES

    def immutable_message(self):
        return _("%(document)s is %(state)s and cannot be changed.") % {
            "document": self,
            "state": self._state_label().lower(),
        }

    def _state_label(self):
        return str(dict(self._meta.get_field(self.STATE_FIELD).flatchoices).get(self.state, self.state))

    def _guarded_attnames(self):
        return [f.attname for f in self._meta.concrete_fields if not f.primary_key]

    def _refuse_change_of_frozen(self, stored):
        old_state = stored[self.STATE_FIELD]
        if old_state in self.EDITABLE_STATES:
            return  # a draft changes freely; the services check its revision
        new_state = self.state
        if new_state != old_state and (old_state, new_state) not in self.FROZEN_TRANSITIONS:
            raise ImmutableRecord(self)
        if old_state in self.APPROVED_STATES:
            # After approval only the later transitions' own fields change.
            allowed = {self.STATE_FIELD, *self.AFTER_APPROVAL_FIELDS}
            guarded = [name for name in stored if name not in allowed]
        else:
            # Submitted: the content is frozen; the decision fields are set by the transition.
            guarded = [self._meta.get_field(name).attname for name in self.CONTENT_FIELDS]
        for name in guarded:
            if stored[name] != getattr(self, name):
                raise ImmutableRecord(self)

    # -- segregation of duties -----------------------------------------------------

    def approval_excluded_users(self):
        """{user_id: reason} of people who may not approve besides the author
        and the editors (e.g. a review's reviewer and participants)."""
        return {}

    STALE_MESSAGE = gettext_lazy(
        "%(editor)s saved this at %(time)s after you opened it. Your text is kept below: "
        "compare it with the current version and save again."
    )
    # How a refusal for segregation of duties reads; a document may say it its own way.
    AUTHOR_REFUSAL = gettext_lazy("You wrote this: nobody approves what he or she wrote.")
    LAST_EDITOR_REFUSAL = gettext_lazy("You edited this last: the approver is never its last editor.")
    EDITOR_REFUSAL = gettext_lazy("You edited this: nobody approves what he or she edited.")

    def segregation_refusal(self, user):
        """Why `user` may not approve this document because of what he or she
        did on it, or ''. Nobody approves what he or she wrote or edited."""
        if user.pk == self.author_id:
            return str(self.AUTHOR_REFUSAL)
        if user.pk == self.last_editor_id:
            return str(self.LAST_EDITOR_REFUSAL)
        if self.editors.filter(pk=user.pk).exists():
            return str(self.EDITOR_REFUSAL)
        reason = self.approval_excluded_users().get(user.pk)
        if reason:
            return str(reason)
        return ""

    # -- content -------------------------------------------------------------------

    def canonical_content(self):
        """Everything the approval covers, as JSON-ready data (see `person()`)."""
        raise NotImplementedError

    def approval_content(self, *, approved_by, approved_at):
        """The content stored at approval: the canonical content with the approval."""
        return {
            **self.canonical_content(),
            "approval": {"by": person(approved_by), "at": approved_at.isoformat()},
        }

    def compute_hash(self):
        """The SHA-256 of the record as it is now, with its stored approval:
        equal to `content_hash` while nothing was altered."""
        return content_hash(self.approval_content(approved_by=self.approved_by, approved_at=self.approved_at))

    def verification_problems(self):
        """What is wrong with the stored approval, or []: the stored content no
        longer matches its hash, or the live record no longer says what was
        approved."""
        if not self.is_approved:
            return []
        if not self.content_hash or self.approved_content is None:
            return [_("No approved content or hash is stored.")]
        problems = []
        if content_hash(self.approved_content) != self.content_hash:
            problems.append(_("The stored content does not match its SHA-256."))
        live = self.approval_content(approved_by=self.approved_by, approved_at=self.approved_at)
        if without_names(live) != without_names(self.approved_content):
            problems.append(_("The record differs from the content that was approved."))
        return problems


def refuse_deletion_of_frozen(model, instance):
    if getattr(instance, model.STATE_FIELD) not in model.EDITABLE_STATES:
        raise ImmutableRecord(instance)


def _refuse_deletion_signal(sender, instance, **kwargs):
    refuse_deletion_of_frozen(sender, instance)


# -- parts of a document ------------------------------------------------------------


class ControlledContentQuerySet(models.QuerySet):
    def update(self, **kwargs):
        if set(kwargs) - set(self.model.FROZEN_UPDATABLE_FIELDS):
            self._refuse_if_frozen()
        return super().update(**kwargs)

    update.queryset_only = True

    def _refuse_if_frozen(self):
        model = self.model
        document_model = model.document_model()
        lookup = f"{model.DOCUMENT_LOOKUP}__{document_model.STATE_FIELD}__in"
        frozen = self.exclude(**{lookup: document_model.EDITABLE_STATES}).first()
        if frozen is not None:
            raise ImmutableRecord(frozen.controlled_document())


class ControlledContent(models.Model):
    """Abstract base of a part of a controlled document: it changes only while
    its document is editable, but for its `FROZEN_UPDATABLE_FIELDS`.
    `DOCUMENT_LOOKUP` is the path to the document ("version",
    "objective__version")."""

    DOCUMENT_LOOKUP = ""
    # Fields that keep changing after the document is frozen (e.g. whether a
    # finding is closed, or an action done); everything else is frozen with it.
    FROZEN_UPDATABLE_FIELDS = ()

    objects = ControlledContentQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        document = self.controlled_document()
        if not document.is_editable and not self._changes_only_updatable_fields():
            raise ImmutableRecord(document)
        super().save(*args, **kwargs)

    def _changes_only_updatable_fields(self):
        if self.pk is None or self._state.adding or not self.FROZEN_UPDATABLE_FIELDS:
            return False
        updatable = {self._meta.get_field(name).attname for name in self.FROZEN_UPDATABLE_FIELDS}
        guarded = [
            f.attname for f in self._meta.concrete_fields if not f.primary_key and f.attname not in updatable
        ]
        stored = type(self)._base_manager.filter(pk=self.pk).values(*guarded).first()
        return stored is not None and all(stored[name] == getattr(self, name) for name in guarded)

    def delete(self, *args, **kwargs):
        _refuse_part_deletion(type(self), self)
        return super().delete(*args, **kwargs)

    @classmethod
    def document_model(cls):
        model = cls
        for name in cls.DOCUMENT_LOOKUP.split("__"):
            model = model._meta.get_field(name).related_model
        return model

    def controlled_document(self):
        document = self
        for name in self.DOCUMENT_LOOKUP.split("__"):
            document = getattr(document, name)
        return document


def _refuse_part_deletion(sender, instance, **kwargs):
    document = instance.controlled_document()
    if not document.is_editable:
        raise ImmutableRecord(document)


def protect_from_deletion(model):
    """Refuse deleting a frozen document or a part of one by every ORM route:
    `delete()`, a queryset's or the admin's bulk delete, and a cascade from
    the record it belongs to (a pre_delete receiver makes Django delete row
    by row, so none is skipped). Called from each app's `ready()`."""
    receiver = _refuse_part_deletion if issubclass(model, ControlledContent) else _refuse_deletion_signal
    pre_delete.connect(receiver, sender=model, dispatch_uid=f"pdca.controlled.{model._meta.label}")


# -- services -------------------------------------------------------------------------


def require_editable(document, expected_revision=None):
    """The document may change, and nobody saved it since the user's revision."""
    if not document.is_editable:
        raise ImmutableRecord(document)
    if expected_revision is not None and int(expected_revision) != document.revision:
        raise Conflict(
            str(document.STALE_MESSAGE)
            % {"editor": document.last_editor, "time": f"{timezone.localtime(document.edited_at):%H:%M}"},
            field="revision",
        )


def touch(document, *, actor, fields=()):
    """Record an edit: a new revision, its editor and time, saved with the
    changed content `fields`."""
    document.revision += 1
    document.last_editor = actor
    document.edited_at = timezone.now()
    document.save(update_fields=[*fields, "revision", "last_editor", "edited_at"])
    document.editors.add(actor)
    return document


def approve(
    document,
    *,
    actor,
    source,
    target,
    action="approve",
    comment="",
    check=None,
    changes=None,
    notices=(),
    conflict=None,
    related=(),
    resolves=("approve",),
):
    """Approve a submitted controlled document: the caller's `check` (who may
    approve in this phase), then segregation of duties (never the author, an
    editor or an excluded person); stores the canonical content with the
    approver and time, and its SHA-256. A transition like any other: the
    approval requests sent to every approver are resolved (`resolves`)."""

    def _check(locked):
        if check is not None:
            check(locked)
        refusal = locked.segregation_refusal(actor)
        if refusal:
            raise NotAllowed(refusal)

    def _changes(locked):
        now = timezone.now()
        values = dict(changes(locked) if callable(changes) else (changes or {}))
        for name, value in values.items():
            setattr(locked, name, value)
        content = locked.approval_content(approved_by=actor, approved_at=now)
        return {
            **values,
            "approved_by": actor,
            "approved_at": now,
            "approved_content": content,
            "content_hash": content_hash(content),
        }

    return transition(
        document,
        actor=actor,
        action=action,
        source=source,
        target=target,
        comment=comment,
        check=_check,
        changes=_changes,
        notices=notices,
        conflict=conflict,
        related=related,
        resolves=resolves,
    )


# -- distribution and acknowledgement -------------------------------------------------


class AcknowledgementBase(models.Model):
    """A person asked to read a communicated document, and when he or she
    confirmed it. The concrete model adds the document and the user."""

    sent_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_acknowledged(self):
        return self.acknowledged_at is not None


def acknowledge(acknowledgement, *, actor, subject, action="acknowledge"):
    """The recipient confirms having read the document, once; his or her own
    request to acknowledge it is resolved, the other recipients' stay open."""

    def _check(locked):
        if locked.user_id != actor.pk:
            raise NotAllowed(_("Only the recipient acknowledges his or her own copy."))
        if locked.acknowledged_at is not None:
            raise Conflict(
                _("You already acknowledged this on %(date)s.")
                % {"date": f"{timezone.localtime(locked.acknowledged_at):%d %b %Y at %H:%M}"}
            )

    acknowledgement = transition(
        acknowledgement,
        actor=actor,
        action=action,
        field=None,
        check=_check,
        changes=lambda locked: {"acknowledged_at": timezone.now()},
        subject=subject,
    )
    resolve_tasks(subject, ["acknowledge"], actor=actor, user=actor)
    return acknowledgement
