def seed(*, users, scale, stdout):
    """Being built."""
