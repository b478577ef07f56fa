from django.apps import AppConfig


class TestappConfig(AppConfig):
    """A small controlled document used only by the tests of pdca's shared
    mechanisms, so that each phase app's documents inherit rules that are
    proven once, apart from any phase."""

    name = "pdca.tests.testapp"
    label = "pdca_testapp"

    def ready(self):
        from pdca import registry
        from pdca.controlled import protect_from_deletion

        from .models import Memo, MemoLine

        protect_from_deletion(Memo)
        protect_from_deletion(MemoLine)
        registry.register_decision_labels({"memo_submit": "submitted the memo"})
