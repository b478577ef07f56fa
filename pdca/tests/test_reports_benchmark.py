import pytest
from django.core.management import call_command

from plans.models import Plan
from reviews.models import Finding


@pytest.mark.django_db
def test_the_report_benchmark_prints_its_figures_and_leaves_the_database_as_it_was(capsys, tmp_path):
    call_command(
        "benchmark_reports", findings=6, objectives=2, plan_paragraphs=2, no_chromium=True, keep=str(tmp_path)
    )
    out = capsys.readouterr().out
    assert "WeasyPrint" in out and "pages" in out and "peak RSS MB" in out
    assert "Rolled back" in out
    assert not Finding.objects.exists() and not Plan.objects.exists()
    assert (tmp_path / "reviews.review.html").exists()
