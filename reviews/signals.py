"""What Check tells the apps that build on it (Act), without knowing them."""

from django.dispatch import Signal

# Sent inside the approving transaction with `review` and `actor`: a receiver's
# work (e.g. an improvement per nonconformity) commits or rolls back with it.
review_approved = Signal()
