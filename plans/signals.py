"""What Plan tells the apps that build on it (Check, Act), without knowing them."""

from django.dispatch import Signal

# Sent inside the communicating transaction with `version` and `actor`.
version_communicated = Signal()

# Sent inside the approving transaction with `version` and `actor`, after the
# previous version was superseded.
version_approved = Signal()
