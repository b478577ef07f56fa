def seed(*, users, scale, stdout):
    """Check's demo data (being built)."""
