"""Verifying the records an auditor relies on (run daily, and on demand by
`manage.py verify_records`).

For every approved controlled document, its stored content is hashed again and
compared with its stored SHA-256, and the live record with the content that was
approved; the decision chain is walked from the first decision to its head;
every approval decision still has its approved record. Whatever raw database
access could alter is found here within a day: the result is logged, kept as
a `VerificationRun` (shown on /healthz), and any problem is sent to the
administrators.
"""

import logging

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import roles

from .decisions import verify_chain
from .models import Decision, VerificationRun
from .notifications import notify
from .registry import controlled_documents

logger = logging.getLogger(__name__)


def _check_documents():
    problems = []
    checked = 0
    for model in controlled_documents():
        approved = model._base_manager.filter(**{f"{model.STATE_FIELD}__in": model.APPROVED_STATES})
        for record in approved.order_by("pk").iterator(chunk_size=200):
            checked += 1
            for problem in record.verification_problems():
                problems.append(f"{model._meta.verbose_name} {record.pk} ({record}): {problem}")
        # An approval decision whose record is gone, or no longer approved.
        content_type = ContentType.objects.get_for_model(model)
        approved_ids = set(approved.values_list("pk", flat=True))
        decided = set(
            Decision.objects.filter(content_type=content_type, action="approve").values_list(
                "object_id", flat=True
            )
        )
        for missing in sorted(decided - approved_ids):
            problems.append(
                f"{model._meta.verbose_name} {missing} was approved (decision log) but is gone or no longer approved."
            )
    return problems, checked


def verify_records(*, notify_administrators=True):
    """Check every stored hash and the decision chain; record and report the result."""
    run = VerificationRun.objects.create()
    document_problems, checked = _check_documents()
    chain_problems, decisions, head = verify_chain()
    run.problems = document_problems + chain_problems
    run.ok = not run.problems
    run.records_checked, run.decisions_checked, run.chain_head = checked, decisions, head
    run.finished_at = timezone.now()
    run.save()
    if run.ok:
        logger.info(
            "Records verified: %s approved records, %s decisions, chain head %s", checked, decisions, head
        )
    else:
        for problem in run.problems:
            logger.error("Record verification: %s", problem)
        if notify_administrators:
            User = get_user_model()
            administrators = User.objects.filter(groups__name=roles.ADMINISTRATOR, is_active=True).distinct()
            notify(
                recipients=administrators,
                subject=_("Record verification found %(count)s problem(s)") % {"count": len(run.problems)},
                body="\n".join(run.problems[:50]),
                url="/healthz",
            )
    return run


def latest_status():
    """The state of the records for /healthz: the last run, or that none ran yet."""
    run = VerificationRun.objects.filter(finished_at__isnull=False).first()
    if run is None:
        return {"status": "not verified yet"}
    return {
        "status": "verified" if run.ok else "mismatch",
        "last_run": run.finished_at.isoformat(),
        "records_checked": run.records_checked,
        "decisions_checked": run.decisions_checked,
        "chain_head": run.chain_head,
        "problems": len(run.problems),
    }
