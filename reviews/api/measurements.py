def register(router):
    """Measurements are registered here (being built)."""
