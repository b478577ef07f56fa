"""ISO/IEC 20000-1:2018 clause numbers and titles, suggested when a finding's
clause is typed (a free text field: other standards may be referenced too)."""

from django.utils.translation import gettext_lazy as _

CLAUSES = [
    ("4.1", _("Understanding the organization and its context")),
    ("4.2", _("Understanding the needs and expectations of interested parties")),
    ("4.3", _("Determining the scope of the SMS")),
    ("4.4", _("Service management system")),
    ("5.1", _("Leadership and commitment")),
    ("5.2", _("Policy")),
    ("5.3", _("Organizational roles, responsibilities and authorities")),
    ("6.1", _("Actions to address risks and opportunities")),
    ("6.2", _("Service management objectives and planning to achieve them")),
    ("6.3", _("Plan the SMS")),
    ("7.1", _("Resources")),
    ("7.2", _("Competence")),
    ("7.3", _("Awareness")),
    ("7.4", _("Communication")),
    ("7.5", _("Documented information")),
    ("7.6", _("Knowledge")),
    ("8.1", _("Operational planning and control")),
    ("8.2", _("Service portfolio")),
    ("8.3", _("Relationship and agreement")),
    ("8.4", _("Supply and demand")),
    ("8.5", _("Service design, build and transition")),
    ("8.6", _("Resolution and fulfilment")),
    ("8.7", _("Service assurance")),
    ("9.1", _("Monitoring, measurement, analysis and evaluation")),
    ("9.2", _("Internal audit")),
    ("9.3", _("Management review")),
    ("9.4", _("Service reporting")),
    ("10.1", _("Nonconformity and corrective action")),
    ("10.2", _("Continual improvement")),
]
