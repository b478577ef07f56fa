def contribute(user, context):
    """Being built."""
