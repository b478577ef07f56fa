"""The decision log: one function writes every decision record."""

from .models import Decision

# How the portal phrases each action: "<actor> <label> [version n]".
ACTION_LABELS = {
    "create": "created the plan",
    "submit": "submitted",
    "approve": "approved",
    "request_changes": "requested changes to",
    "communicate": "communicated",
    "acknowledge": "acknowledged",
    "revise": "started",
    "supersede": "superseded",
    "confirm_conformance": "confirmed conformance",
    "flag_conformance_review": "flagged a conformance review",
    "set_distribution": "set the distribution list",
    "start_implementation": "started the implementation",
    "milestone_done": "completed a milestone",
    "propose_handover": "proposed a handover",
    "accept_handover": "accepted the handover",
    "decline_handover": "declined the handover",
    "in_operation": "put the process into operation",
}


def record_decision(*, subject, action, actor, comment="", from_state="", to_state=""):
    return Decision.objects.create(
        subject=subject,
        action=action,
        actor=actor,
        comment=comment or "",
        from_state=from_state or "",
        to_state=to_state or "",
    )


def timeline(*subjects):
    """The decisions on several objects (a plan and its versions), oldest first."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Q

    query = Q(pk__in=[])
    for subject in subjects:
        query |= Q(content_type=ContentType.objects.get_for_model(subject), object_id=subject.pk)
    return Decision.objects.filter(query).select_related("actor", "content_type").order_by("at", "pk")
