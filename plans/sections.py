"""The sections of each kind of plan (DESIGN.md, "The SMP's sections" and "A process plan").

Objectives with their KPIs and the five responsibilities are structured data
of their own and not listed here; milestones are planned on the
implementation page.
"""

# (key, title, guidance shown to the author)
SMP_SECTIONS = [
    ("scope", "Scope", "Services, locations, organisational units and customers the SMS covers."),
    (
        "service_requirements",
        "Service requirements",
        "Requirements for the services, from customers, users and the organisation.",
    ),
    ("known_limitations", "Known limitations", "Limitations that can affect the SMS and the services."),
    (
        "obligations",
        "Obligations",
        "Policies, standards, legal, regulatory and contractual obligations, and how they map to the SMS.",
    ),
    (
        "authorities",
        "Authorities and responsibilities",
        "Who decides what in the SMS and the services; top management commitment.",
    ),
    (
        "resources",
        "Resources",
        "Human, technical, information and financial resources needed to achieve the objectives.",
    ),
    (
        "risk_approach",
        "Approach to risk",
        "How risks and opportunities are identified, assessed, accepted and treated; risk acceptance criteria.",
    ),
    (
        "interfaces",
        "Interfaces between processes",
        "How the service management processes work together and with external parties.",
    ),
    ("technology", "Supporting technology", "Tools and technology used to support the SMS."),
    (
        "effectiveness",
        "Measuring and reporting effectiveness",
        "How the effectiveness of the SMS and the services is measured, audited, reported and improved.",
    ),
]

PROCESS_SECTIONS = [
    ("purpose", "Purpose and scope", "What the process achieves, and what it covers."),
    ("interfaces", "Interfaces", "Inputs from and outputs to other processes, teams and suppliers."),
    ("roles", "Roles", "The roles in the process and what each is accountable for."),
    ("resources", "Resources", "People, tools, budget and information the process needs."),
    (
        "procedures",
        "Procedure references",
        "The procedures, work instructions and records that implement the process.",
    ),
    (
        "milestones",
        "Milestones",
        "The milestones for putting the plan into practice (tracked on the implementation page).",
    ),
]

# A1: the CSI principle defines the roles and responsibilities for improvement
# and names the CSI owners (a responsibility of its own, beside the five).
CSI_SECTIONS = [
    ("purpose", "Purpose", "Why the organisation improves continually, and what the principle covers."),
    (
        "roles",
        "Roles and responsibilities for improvement",
        "Who identifies, approves, carries out, measures and closes improvements; what CSI owners decide.",
    ),
    (
        "identification",
        "Identifying improvements",
        "Where improvements come from: findings of reviews and audits, measurements, suggestions.",
    ),
    (
        "evaluation",
        "Evaluating and prioritising",
        "How proposed improvements are assessed (benefit, size, urgency) and approved or rejected.",
    ),
    (
        "measurement",
        "Baselines and results",
        "How service quality is baselined before and measured after an improvement.",
    ),
    ("reporting", "Reporting", "How the service improvement plan is reported to top management."),
]
