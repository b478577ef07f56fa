"""Models of this phase arrive with its capability."""
