"""The browser interface of Act."""
