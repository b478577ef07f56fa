"""The long choices of the improvement form are read as values, not model
instances (`pdca.widgets.ValuesChoiceIterator`): they must read exactly as
the instances would, in every language, and clean to the instances."""

from decimal import Decimal

import pytest
from django.utils import translation

from improvements.forms import ImprovementForm, kpi_label
from plans import services
from plans.models import Kpi, Process
from plans.tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_kpi_options_read_as_each_kpi_labels_itself(smp, owner, manager, language):
    # A target with decimals reads "99.5" in English and "99,5" in German.
    plan = factories.draft_process_plan(owner, manager)
    services.save_kpi(
        objective=plan.latest_version.objectives.get(),
        actor=owner,
        metric="Changes without incident",
        unit="%",
        direction="higher",
        target=Decimal("99.5"),
        owner=owner,
        frequency="monthly",
    )
    factories.submit_and_review(plan.latest_version, owner)
    services.approve_plan(version=plan.latest_version, actor=manager)
    with translation.override(language):
        form = ImprovementForm()
        options = {value.value: label for value, label in form.fields["kpi"].choices if value != ""}
        kpis = Kpi.objects.filter(pk__in=options).select_related("objective__version__plan")
        assert options and options == {kpi.pk: kpi_label(kpi) for kpi in kpis}
        assert any(("99,5" if language == "de" else "99.5") in label for label in options.values())


def test_the_process_options_read_as_the_processes_and_clean_to_them_with_their_owners(
    communicated_plan, django_assert_num_queries
):
    form = ImprovementForm()
    options = {value.value: label for value, label in form.fields["processes"].choices}
    assert options == {process.pk: str(process) for process in Process.objects.all()}

    cleaned = list(form.fields["processes"].clean([str(communicated_plan.process_id)]))
    owner = communicated_plan.process.owner
    with django_assert_num_queries(0):  # the owner comes with the process
        assert [process.owner for process in cleaned] == [owner]
