def register(router):
    """Being built."""
