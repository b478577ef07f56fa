"""The models of the plans app: Plan (`plan.py`) and Do (`plans/do/models.py`)."""

from plans.do.models import Handover, KpiAssignment, Milestone
from plans.models.plan import (
    Acknowledgement,
    ImmutableVersion,
    Kpi,
    Objective,
    Plan,
    PlanQuerySet,
    PlanVersion,
    PlanVersionQuerySet,
    Process,
    Responsibility,
    involvement,
)

__all__ = [
    "Acknowledgement",
    "Handover",
    "ImmutableVersion",
    "Kpi",
    "KpiAssignment",
    "Milestone",
    "Objective",
    "Plan",
    "PlanQuerySet",
    "PlanVersion",
    "PlanVersionQuerySet",
    "Process",
    "Responsibility",
    "involvement",
]
