"""What Plan tells the apps that build on it (Check), without knowing them."""

from django.dispatch import Signal

# Sent inside the communicating transaction with `version` and `actor`.
version_communicated = Signal()
