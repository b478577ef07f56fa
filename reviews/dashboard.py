def contribute(user, context):
    """Check's dashboard panels (being built)."""
