import pytest
from django.core.management import CommandError, call_command


@pytest.mark.django_db
def test_benchmark_prints_times_and_query_counts_for_each_page(capsys):
    call_command("seed_demo", quiet=True)
    call_command("benchmark", repeat=1)
    out = capsys.readouterr().out
    assert "plan list" in out and "API implementations" in out
    assert "median ms" in out and "queries" in out


@pytest.mark.django_db
def test_benchmark_says_what_to_do_without_data():
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("benchmark")
