"""The browser interface of Plan, by area: the plan list and plan page
(`plans.py`), one version and its decisions (`versions.py`), editing a
draft (`content.py`), comparison and history (`history.py`), processes
(`processes.py`). Do's pages are in `plans/do/views.py`.

Views are thin: they find the objects the user may see (404 otherwise), render
what `plans.permissions` says the user may do, and hand every change to
`plans.services`; a refusal is shown by `pdca.pages.attempt`, with the
service's message, the HTTP status of the refusal (400, 403 or 409), and what
the user typed.
"""
