"""The browser interface of Check, by area: the review calendar
(`calendar.py`), reviews and their parts (`reviews.py`), review schedules
(`schedules.py`), the findings register (`findings.py`), KPI measurements
and charts (`measurements.py`).

Views are thin: they find what the user may see (404 otherwise), render what
`reviews.permissions` says the user may do, and hand every change to the
services; a refusal is shown by `pdca.pages.attempt` with what the user typed.
"""
