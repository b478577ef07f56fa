def register(router):
    """Reviews, schedules, findings and actions are registered here (being built)."""
