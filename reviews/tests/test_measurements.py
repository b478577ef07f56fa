"""C1 at the service level: measurements of each KPI are recorded over time and
compared with the target. Who records, which KPIs, one value per period, a
period's values and a CSV file all or nothing, corrections, and the reads
(series across versions, attainment, trend)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts import roles
from accounts.tests.factories import UserFactory
from pdca.exceptions import Conflict, NotAllowed, RuleViolation
from pdca.models import Decision
from plans import services as plan_services
from plans.do import services as implementation
from plans.models import Kpi, Plan
from plans.tests import factories as plan_factories
from reviews import measurements
from reviews.dates import month_bounds
from reviews.models import Measurement
from reviews.tests import factories

pytestmark = pytest.mark.django_db


def last_month():
    return month_bounds(timezone.localdate().replace(day=1) - datetime.timedelta(days=1))


def months_ago(n):
    """The first and last day of the month `n` months before this one."""
    day = timezone.localdate().replace(day=1)
    for _ in range(n):
        day = (day - datetime.timedelta(days=1)).replace(day=1)
    return month_bounds(day)


def record(kpi, actor, value="97", period=None, **kwargs):
    start, end = period or last_month()
    return measurements.record_measurement(
        kpi=kpi, actor=actor, period_start=start, period_end=end, value=value, **kwargs
    )


def revise_and_approve(plan, owner, approver, edit=None):
    """P4: a new revision of `plan`, changed by `edit(draft)`, approved: the
    version in force afterwards."""
    draft = plan_services.revise_plan(plan=plan, actor=owner)
    if edit is not None:
        edit(draft)
    plan_factories.submit_and_review(draft, owner)
    plan_services.approve_plan(version=draft, actor=approver)
    return Plan.objects.get(pk=plan.pk)


def add_kpi(version, actor, owner, metric="Customer satisfaction", unit="points", target="4.2"):
    return plan_services.save_kpi(
        objective=version.objectives.get(),
        actor=actor,
        metric=metric,
        unit=unit,
        direction="higher",
        target=Decimal(target),
        owner=owner,
        frequency="quarterly",
    )


def make_kpi_owner():
    """A staff member who owns a KPI, and nothing else."""
    return UserFactory(username="kowner", first_name="Kim", last_name="Kowalski", roles=[roles.STAFF])


def make_two_kpis(plan, owner, manager, kpi_owner):
    """`plan` revised with a second KPI owned by `kpi_owner`, and approved:
    (the first KPI, the second KPI) of the version in force."""
    plan = revise_and_approve(plan, owner, manager, lambda d: add_kpi(d, owner, kpi_owner))
    first, second = plan.current_version.objectives.get().kpis.order_by("pk")
    return first, second


@pytest.fixture
def kpi_owner(db):
    return make_kpi_owner()


@pytest.fixture
def two_kpis(communicated_plan, owner, manager, kpi_owner):
    return make_two_kpis(communicated_plan, owner, manager, kpi_owner)


# -- who may record ------------------------------------------------------------------------------


def test_c1_the_kpi_owner_records_a_value(kpi, owner):
    measurement = record(kpi, owner, "97.5", source="Ticket tool")
    assert (measurement.kpi, measurement.kpi_key, measurement.value) == (kpi, kpi.key, Decimal("97.5"))
    assert measurement.recorded_by == owner and measurement.met


def test_c1_the_kpi_operator_records_a_value(kpi, implementing_plan, owner, operators):
    implementation.assign_kpi_operator(kpi=kpi, actor=owner, operator=operators[0])
    assert record(kpi, operators[0]).recorded_by == operators[0]
    with pytest.raises(NotAllowed):
        record(kpi, operators[1], period=months_ago(2))


def test_c1_the_process_owner_and_deputies_record_a_kpi_owned_by_somebody_else(
    two_kpis, owner, other_owner, kpi_owner
):
    _first, second = two_kpis
    assert second.owner == kpi_owner
    record(second, owner, "4.4", period=months_ago(1))
    second.objective.version.plan.process.deputies.add(other_owner)
    record(second, other_owner, "4.5", period=months_ago(2))
    record(second, kpi_owner, "4.1", period=months_ago(3))
    assert Measurement.objects.of_kpi(second).count() == 3


@pytest.mark.parametrize("who", ["other_owner", "auditor", "staff", "manager"])
def test_c1_nobody_else_records_a_process_kpi(kpi, who, request):
    actor = request.getfixturevalue(who)
    with pytest.raises(NotAllowed):
        record(kpi, actor)
    assert not Measurement.objects.exists()


def test_c1_top_management_records_the_smps_kpis(smp, manager, owner, auditor):
    smp_kpi = Kpi.objects.get(objective__version=smp.current_version)
    assert record(smp_kpi, manager, "99.9").recorded_by == manager
    for outsider in (owner, auditor):
        with pytest.raises(NotAllowed):
            record(smp_kpi, outsider, period=months_ago(2))


# -- which KPIs, which periods, which values -------------------------------------------------------


def test_c1_only_kpis_of_the_version_in_force_are_measured(communicated_plan, kpi, owner, manager):
    draft = plan_services.revise_plan(plan=communicated_plan, actor=owner)
    draft_kpi = Kpi.objects.get(objective__version=draft)
    with pytest.raises(RuleViolation, match="version in force"):
        record(draft_kpi, owner)
    plan_factories.submit_and_review(draft, owner)
    plan_services.approve_plan(version=draft, actor=manager)
    with pytest.raises(RuleViolation, match="version in force"):
        record(kpi, owner)  # now superseded
    assert not Measurement.objects.exists()


def test_c1_a_revised_and_approved_plan_keeps_the_series(measured_kpi, communicated_plan, owner, manager):
    def raise_target(draft):
        old = draft.objectives.get().kpis.get()
        plan_services.save_kpi(
            objective=old.objective,
            actor=owner,
            kpi=old,
            metric=old.metric,
            unit=old.unit,
            direction=old.direction,
            target=Decimal("97"),
            owner=old.owner,
            frequency=old.frequency,
        )

    plan = revise_and_approve(communicated_plan, owner, manager, raise_target)
    new_kpi = plan.current_version.objectives.get().kpis.get()
    assert new_kpi.pk != measured_kpi.pk and new_kpi.key == measured_kpi.key
    record(new_kpi, owner, "96.5", period=(timezone.localdate().replace(day=1), timezone.localdate()))

    series = list(measurements.series(new_kpi))
    assert [m.value for m in series] == [Decimal(v) for v in ("90", "92", "96", "97", "94", "98", "96.5")]
    assert {m.kpi_id for m in series} == {measured_kpi.pk, new_kpi.pk}
    # Each value against the target it was recorded under: 96 met 95, 96.5 misses 97.
    assert [m.met for m in series] == [False, False, True, True, False, True, False]
    assert list(measurements.series(measured_kpi)) == series


@pytest.mark.parametrize(
    ("period", "message"),
    [
        (lambda s, e: (s, e), "already recorded"),
        (lambda s, e: (s + datetime.timedelta(days=10), e), "overlaps"),
        (lambda s, e: (s - datetime.timedelta(days=3), s), "overlaps"),
    ],
    ids=["same-period", "inside", "touching-its-first-day"],
)
def test_c1_one_value_per_period_a_duplicate_or_overlap_is_refused(kpi, owner, period, message):
    start, end = last_month()
    record(kpi, owner, "96", period=(start, end))
    with pytest.raises(RuleViolation, match=message) as refused:
        record(kpi, owner, "97", period=period(start, end))
    assert "period_start" in refused.value.errors
    assert Measurement.objects.count() == 1


def test_c1_the_next_period_is_not_a_duplicate(kpi, owner):
    record(kpi, owner, "96", period=months_ago(2))
    record(kpi, owner, "97", period=months_ago(1))
    assert Measurement.objects.count() == 2


@pytest.mark.parametrize(
    ("start", "end", "field", "message"),
    [
        (None, datetime.date(2026, 1, 31), "period_start", "start of the period"),
        (datetime.date(2026, 1, 1), None, "period_end", "end of the period"),
        (datetime.date(2026, 1, 31), datetime.date(2026, 1, 1), "period_end", "ends before it starts"),
        (
            datetime.date(2026, 1, 1),
            timezone.localdate() + datetime.timedelta(days=1),
            "period_end",
            "future",
        ),
    ],
    ids=["no-start", "no-end", "reversed", "not-over-yet"],
)
def test_c1_a_value_needs_a_period_that_is_over(kpi, owner, start, end, field, message):
    with pytest.raises(RuleViolation, match=message) as refused:
        record(kpi, owner, "97", period=(start, end))
    assert field in refused.value.errors
    assert not Measurement.objects.exists()


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("97,5", "97.5"),
        (" 97.25 ", "97.25"),
        ("1 234,5", "1234.5"),
        ("0", "0"),
        ("-3.1", "-3.1"),
        ("99.1230", "99.123"),
    ],
)
def test_c1_values_are_read_with_decimal_commas(kpi, owner, typed, stored):
    assert record(kpi, owner, typed).value == Decimal(stored)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("abc", "“abc” is not a number."),
        ("", "Give the measured value."),
        ("NaN", "is not a number"),
        ("Infinity", "is not a number"),
        ("1.23456", "more than 4 decimal places"),
        ("1e15", "too large"),
    ],
)
def test_c1_a_value_that_is_not_a_number_is_refused(kpi, owner, typed, message):
    with pytest.raises(RuleViolation, match=message) as refused:
        record(kpi, owner, typed)
    assert "value" in refused.value.errors
    assert not Measurement.objects.exists()


# -- corrections -------------------------------------------------------------------------------------


def test_c1_the_same_people_correct_a_value_and_the_history_keeps_the_old_one(
    kpi, owner, other_owner, auditor
):
    measurement = record(kpi, owner, "91")
    for outsider in (other_owner, auditor):
        with pytest.raises(NotAllowed):
            measurements.update_measurement(
                measurement=measurement,
                actor=outsider,
                period_start=measurement.period_start,
                period_end=measurement.period_end,
                value="99",
            )
    corrected = measurements.update_measurement(
        measurement=measurement,
        actor=owner,
        period_start=measurement.period_start,
        period_end=measurement.period_end,
        value="96",
        source="Corrected export",
        expected_revision=measurements.measurement_revision(measurement),
    )
    assert (corrected.value, corrected.source) == (Decimal("96"), "Corrected export")
    history = list(Measurement.history.filter(id=measurement.pk).order_by("history_date"))
    assert [h.value for h in history] == [Decimal("91"), Decimal("96")]
    assert history[-1].history_user == owner


def test_c1_a_correction_based_on_an_older_reading_is_refused(kpi, owner, other_owner):
    measurement = record(kpi, owner, "91")
    read = measurements.measurement_revision(measurement)
    kpi.objective.version.plan.process.deputies.add(other_owner)
    measurements.update_measurement(
        measurement=measurement,
        actor=other_owner,
        period_start=measurement.period_start,
        period_end=measurement.period_end,
        value="93",
        expected_revision=read,
    )
    with pytest.raises(Conflict, match="changed this value after you opened it"):
        measurements.update_measurement(
            measurement=measurement,
            actor=owner,
            period_start=measurement.period_start,
            period_end=measurement.period_end,
            value="92",
            expected_revision=read,
        )
    assert Measurement.objects.get().value == Decimal("93")


def test_c1_a_correction_keeps_one_value_per_period(kpi, owner):
    record(kpi, owner, "96", period=months_ago(2))
    later = record(kpi, owner, "97", period=months_ago(1))
    start, end = months_ago(2)
    with pytest.raises(RuleViolation, match="already recorded"):
        measurements.update_measurement(
            measurement=later, actor=owner, period_start=start, period_end=end, value="97"
        )


def test_c1_a_value_recorded_by_mistake_is_removed_and_kept_in_the_history(kpi, owner, auditor):
    measurement = record(kpi, owner, "9.7")
    with pytest.raises(NotAllowed):
        measurements.delete_measurement(measurement=measurement, actor=auditor)
    measurements.delete_measurement(measurement=measurement, actor=owner)
    assert not Measurement.objects.exists()
    removed = Measurement.history.filter(id=measurement.pk, history_type="-").get()
    assert (removed.value, removed.history_user) == (Decimal("9.7"), owner)


def test_c1_values_of_a_kpi_dropped_from_the_plan_are_kept_as_recorded(
    two_kpis, communicated_plan, owner, manager
):
    _first, second = two_kpis
    measurement = record(second, owner, "4.4", period=months_ago(1))
    revise_and_approve(
        communicated_plan,
        owner,
        manager,
        lambda d: plan_services.delete_kpi(kpi=d.objectives.get().kpis.get(key=second.key), actor=owner),
    )
    with pytest.raises(NotAllowed, match="no longer part of the plan"):
        measurements.delete_measurement(measurement=measurement, actor=owner)
    assert Measurement.objects.filter(pk=measurement.pk).exists()


# -- a period's values for several KPIs ---------------------------------------------------------------


def test_c1_bulk_entry_records_every_value_of_the_period_and_one_decision(two_kpis, communicated_plan, owner):
    first, second = two_kpis
    start, end = last_month()
    created = measurements.record_period(
        plan=communicated_plan,
        actor=owner,
        period_start=start,
        period_end=end,
        values={first: "96,5", second: "4.3"},
        source="Monthly report",
    )
    assert sorted(m.value for m in created) == [Decimal("4.3"), Decimal("96.5")]
    assert {m.source for m in created} == {"Monthly report"}
    decision = Decision.objects.get(action="record_measurements")
    assert decision.actor == owner and decision.subject == communicated_plan
    assert decision.comment == f"2 values for {measurements.period_label(start, end)}"


def test_c1_bulk_entry_skips_empty_values(two_kpis, communicated_plan, owner):
    first, second = two_kpis
    start, end = last_month()
    created = measurements.record_period(
        plan=communicated_plan,
        actor=owner,
        period_start=start,
        period_end=end,
        values={first: "97", second: " "},
    )
    assert [m.kpi for m in created] == [first]
    with pytest.raises(RuleViolation, match="at least one value"):
        measurements.record_period(
            plan=communicated_plan, actor=owner, period_start=start, period_end=end, values={first: ""}
        )


def test_c1_bulk_entry_with_one_bad_value_records_nothing_and_names_the_kpi(
    two_kpis, communicated_plan, owner
):
    first, second = two_kpis
    start, end = last_month()
    with pytest.raises(RuleViolation) as refused:
        measurements.record_period(
            plan=communicated_plan,
            actor=owner,
            period_start=start,
            period_end=end,
            values={first: "97", second: "four"},
        )
    assert refused.value.errors == {f"kpi-{second.pk}": ["“four” is not a number."]}
    assert "Customer satisfaction: “four” is not a number." in refused.value.message
    assert not Measurement.objects.exists()
    assert not Decision.objects.filter(action="record_measurements").exists()


def test_c1_bulk_entry_refuses_a_value_already_recorded_for_the_period(two_kpis, communicated_plan, owner):
    first, second = two_kpis
    record(second, owner, "4.0")
    start, end = last_month()
    with pytest.raises(RuleViolation) as refused:
        measurements.record_period(
            plan=communicated_plan,
            actor=owner,
            period_start=start,
            period_end=end,
            values={first: "97", second: "4.1"},
        )
    assert "already recorded" in refused.value.errors[f"kpi-{second.pk}"][0]
    assert Measurement.objects.count() == 1


def test_c1_bulk_entry_with_a_kpi_the_actor_may_not_record_records_nothing(
    two_kpis, communicated_plan, kpi_owner
):
    first, second = two_kpis
    start, end = last_month()
    with pytest.raises(NotAllowed) as refused:
        measurements.record_period(
            plan=communicated_plan,
            actor=kpi_owner,
            period_start=start,
            period_end=end,
            values={first: "97", second: "4.3"},
        )
    assert set(refused.value.errors) == {f"kpi-{first.pk}"}
    assert not Measurement.objects.exists()


def test_c1_bulk_entry_takes_only_kpis_of_the_plan_in_force(two_kpis, communicated_plan, smp, owner, manager):
    first, _second = two_kpis
    smp_kpi = Kpi.objects.get(objective__version=smp.current_version)
    start, end = last_month()
    with pytest.raises(RuleViolation, match="not KPIs of this plan") as refused:
        measurements.record_period(
            plan=communicated_plan,
            actor=owner,
            period_start=start,
            period_end=end,
            values={first: "97", smp_kpi: "99"},
        )
    assert set(refused.value.errors) == {f"kpi-{smp_kpi.pk}"}
    assert not Measurement.objects.exists()


def test_c1_bulk_entry_refuses_the_whole_set_for_a_bad_period(two_kpis, communicated_plan, owner):
    first, second = two_kpis
    with pytest.raises(RuleViolation) as refused:
        measurements.record_period(
            plan=communicated_plan,
            actor=owner,
            period_start=datetime.date(2026, 5, 31),
            period_end=datetime.date(2026, 5, 1),
            values={first: "97", second: "4.3"},
        )
    assert "period_end" in refused.value.errors
    assert not Measurement.objects.exists()


# -- CSV import ------------------------------------------------------------------------------------------


def csv_for(kpi, *rows, header="kpi,period_start,period_end,value,source"):
    return "\n".join([header, *rows]) + "\n"


def test_c1_the_import_preview_shows_each_row_with_its_problem(kpi, communicated_plan, owner):
    text = csv_for(
        kpi,
        f"{kpi.pk},2026-01-01,2026-01-31,96.5,Tool",
        "Incidents resolved within target time,2026-02-01,2026-02-28,93,Tool",
        f"{kpi.pk},2026-03-01,2026-03-31,abc,Tool",
        "Unknown KPI,2026-04-01,2026-04-30,97,",
        f"{kpi.pk},2026-05-01,2026-05-31,,",
    )
    preview = measurements.parse_csv(plan=communicated_plan, actor=owner, file_text=text)
    assert [(r.line, r.kpi, r.value, r.problem, r.skipped) for r in preview.rows] == [
        (2, kpi, Decimal("96.5"), "", False),
        (3, kpi, Decimal("93"), "", False),
        (4, kpi, None, "“abc” is not a number.", False),
        (5, None, None, "“Unknown KPI” is not a KPI of the version in force of this plan.", False),
        (6, kpi, None, "", True),
    ]
    assert [r.met for r in preview.ready] == [True, False]
    assert not preview.importable
    assert not Measurement.objects.exists()  # a preview saves nothing


def test_c1_an_import_with_one_bad_row_saves_nothing_and_names_the_row(kpi, communicated_plan, owner):
    text = csv_for(
        kpi,
        f"{kpi.pk},2026-01-01,2026-01-31,96.5,Tool",
        f"{kpi.pk},2026-02-01,2026-02-28,abc,Tool",
        f"{kpi.pk},2026-03-01,2026-03-31,97,Tool",
    )
    with pytest.raises(RuleViolation) as refused:
        measurements.import_csv(plan=communicated_plan, actor=owner, file_text=text)
    assert "Row 3: “abc” is not a number." in refused.value.message
    assert refused.value.errors == {"row-3": ["Row 3: “abc” is not a number."]}
    assert not Measurement.objects.exists()
    assert not Decision.objects.filter(action="record_measurements").exists()


def test_c1_an_import_records_every_row_and_one_decision(kpi, communicated_plan, owner):
    text = "\ufeff" + csv_for(
        kpi,
        f"{kpi.pk};2026-01-01;2026-01-31;96,5;Tool",
        "Incidents resolved within target time;2026-02-01;2026-02-28;93;",
        header="KPI;Period start;Period end;Value;Source",
    )
    created = measurements.import_csv(plan=communicated_plan, actor=owner, file_text=text)
    assert [(m.period_start, m.value, m.source) for m in created] == [
        (datetime.date(2026, 1, 1), Decimal("96.5"), "Tool"),
        (datetime.date(2026, 2, 1), Decimal("93"), ""),
    ]
    decision = Decision.objects.get(action="record_measurements")
    assert decision.comment.startswith("2 values for 2 periods from January 2026 to February 2026")


def test_c1_an_import_reads_a_single_date_column_as_a_one_day_period(kpi, communicated_plan, owner):
    created = measurements.import_csv(
        plan=communicated_plan,
        actor=owner,
        file_text=csv_for(kpi, f"{kpi.pk},2026-03-15,97", header="kpi,date,value"),
    )
    assert (created[0].period_start, created[0].period_end) == (datetime.date(2026, 3, 15),) * 2


@pytest.mark.parametrize(
    ("rows", "line", "message"),
    [
        (
            ["{pk},2026-01-01,2026-01-31,96", "{pk},2026-01-01,2026-01-31,97"],
            3,
            "Row 2 already gives a value",
        ),
        (["{pk},2026-01-01,2026-01-31,96", "{pk},2026-01-15,2026-02-14,97"], 3, "overlapping period"),
        (["{pk},2026-01-01,2026-01-31,96", "{pk},31.01.2026,2026-02-28,97"], 3, "is not a date"),
        (["{pk},2026-01-01,2026-01-31,96,5"], 2, "more fields than the first line"),
    ],
    ids=["same-period-twice", "overlap", "not-iso-date", "decimal-comma-unquoted"],
)
def test_c1_an_import_names_rows_at_fault(kpi, communicated_plan, owner, rows, line, message):
    text = csv_for(kpi, *(r.format(pk=kpi.pk) for r in rows), header="kpi,period_start,period_end,value")
    with pytest.raises(RuleViolation, match=message) as refused:
        measurements.import_csv(plan=communicated_plan, actor=owner, file_text=text)
    assert f"row-{line}" in refused.value.errors
    assert not Measurement.objects.exists()


def test_c1_an_import_refuses_a_period_already_recorded(measured_kpi, communicated_plan, owner):
    first = Measurement.objects.order_by("period_end").first()
    text = csv_for(measured_kpi, f"{measured_kpi.pk},{first.period_start},{first.period_end},99,")
    with pytest.raises(RuleViolation, match="Row 2: A value for this period is already recorded"):
        measurements.import_csv(plan=communicated_plan, actor=owner, file_text=text)
    assert Measurement.objects.count() == 6


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The file is empty."),
        ("kpi,value\n1,2\n", "missing: period_start, period_end"),
        ("metric;date\nX;2026-01-01\n", "missing: value"),
    ],
)
def test_c1_a_file_that_is_not_a_measurement_csv_is_refused(communicated_plan, kpi, owner, text, message):
    with pytest.raises(RuleViolation, match=message) as refused:
        measurements.parse_csv(plan=communicated_plan, actor=owner, file_text=text)
    assert "file" in refused.value.errors


def test_c1_only_those_who_may_record_import(kpi, communicated_plan, other_owner, auditor):
    text = csv_for(kpi, f"{kpi.pk},2026-01-01,2026-01-31,96")
    for outsider in (other_owner, auditor):
        with pytest.raises(NotAllowed):
            measurements.import_csv(plan=communicated_plan, actor=outsider, file_text=text)
    assert not Measurement.objects.exists()


def test_c1_an_import_row_of_a_kpi_the_actor_may_not_record_is_a_problem(
    two_kpis, communicated_plan, kpi_owner
):
    first, second = two_kpis
    text = csv_for(first, f"{second.pk},2026-01-01,2026-03-31,4.3", f"{first.pk},2026-01-01,2026-01-31,97")
    preview = measurements.parse_csv(plan=communicated_plan, actor=kpi_owner, file_text=text)
    assert [bool(r.problem) for r in preview.rows] == [False, True]
    assert "Only the KPI's owner" in preview.rows[1].problem


def test_c1_the_csv_template_lists_the_kpis_and_imports_once_filled(kpi, communicated_plan, owner):
    template = measurements.csv_template(communicated_plan, owner)
    header, row = template.strip().splitlines()
    assert header == "kpi,metric,unit,target,period_start,period_end,value,source,note"
    start, end = measurements.last_full_period(kpi.frequency)
    assert row == f"{kpi.pk},{kpi.metric},%,95,{start},{end},,,"
    assert measurements.parse_csv(plan=communicated_plan, actor=owner, file_text=template).rows[0].skipped
    filled = template.replace(f"{end},,,", f"{end},97.5,Tool,")
    created = measurements.import_csv(plan=communicated_plan, actor=owner, file_text=filled)
    assert [(m.kpi, m.value, m.period_end) for m in created] == [(kpi, Decimal("97.5"), end)]


def test_c1_an_id_from_before_a_revision_finds_the_kpi_in_force(kpi, communicated_plan, owner, manager):
    plan = revise_and_approve(communicated_plan, owner, manager)
    new_kpi = plan.current_version.objectives.get().kpis.get()
    created = measurements.import_csv(
        plan=plan, actor=owner, file_text=csv_for(kpi, f"{kpi.pk},2026-01-01,2026-01-31,96")
    )
    assert created[0].kpi == new_kpi


# -- reading: attainment and trend -------------------------------------------------------------------------


def test_c1_the_status_compares_the_latest_value_with_the_target(measured_kpi):
    status = measurements.kpi_status(measured_kpi, measurements.series(measured_kpi))
    assert (status.latest.value, status.attainment, status.count) == (Decimal("98"), measurements.MET, 6)
    assert str(status.attainment_label) == "Target met"


def test_c1_a_kpi_without_values_has_no_data(kpi):
    status = measurements.kpi_status(kpi, [])
    assert (status.latest, status.attainment, status.trend) == (None, measurements.NO_DATA, "not_enough_data")


@pytest.mark.parametrize(
    ("direction", "values", "expected"),
    [
        ("higher", [90, 92, 96, 97, 94, 98], "improving"),
        ("higher", [98, 97, 99, 93, 92, 94], "worsening"),
        ("higher", [95, 96, 95, 95.5, 95, 96], "steady"),
        ("lower", [5, 6, 7, 3, 2, 2], "improving"),
        ("lower", [2, 2, 3, 5, 6, 7], "worsening"),
        ("higher", [90, 92, 96], "not_enough_data"),
        ("higher", [90, 97, 98, 99], "improving"),  # four values: the latest three against the one before
    ],
)
def test_c1_the_trend_compares_the_latest_three_values_with_the_three_before(direction, values, expected):
    kpi = Kpi(direction=direction, target=Decimal("95") if direction == "higher" else Decimal("4"))
    assert measurements.trend(kpi, [Decimal(str(v)) for v in values]) == expected


def test_c1_latest_values_of_many_kpis_in_one_query(two_kpis, owner, django_assert_num_queries):
    first, second = two_kpis
    factories.record_monthly(first, owner, [90, 97])
    with django_assert_num_queries(1):
        rows = {k.pk: k for k in measurements.latest_values(Kpi.objects.filter(pk__in=[first.pk, second.pk]))}
    assert rows[first.pk].latest_value == Decimal("97") and rows[second.pk].latest_value is None


@pytest.mark.parametrize(
    ("start", "end", "label"),
    [
        (datetime.date(2026, 5, 1), datetime.date(2026, 5, 31), "May 2026"),
        (datetime.date(2026, 4, 1), datetime.date(2026, 6, 30), "Q2 2026"),
        (datetime.date(2025, 1, 1), datetime.date(2025, 12, 31), "2025"),
        (datetime.date(2026, 5, 5), datetime.date(2026, 5, 5), "5 May 2026"),
        (datetime.date(2026, 5, 4), datetime.date(2026, 5, 10), "4 May 2026 – 10 May 2026"),
    ],
)
def test_periods_are_named_as_people_say_them(start, end, label):
    assert measurements.period_label(start, end) == label


@pytest.mark.parametrize(
    ("frequency", "period"),
    [
        ("daily", (datetime.date(2026, 5, 13), datetime.date(2026, 5, 13))),
        ("weekly", (datetime.date(2026, 5, 4), datetime.date(2026, 5, 10))),
        ("monthly", (datetime.date(2026, 4, 1), datetime.date(2026, 4, 30))),
        ("quarterly", (datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))),
        ("yearly", (datetime.date(2025, 1, 1), datetime.date(2025, 12, 31))),
    ],
)
def test_the_form_proposes_the_last_full_period_of_the_kpis_frequency(frequency, period):
    assert measurements.last_full_period(frequency, today=datetime.date(2026, 5, 14)) == period


def test_c1_a_source_longer_than_the_record_keeps_is_refused_not_cut(kpi, communicated_plan, owner):
    with pytest.raises(RuleViolation, match="at most 200 characters") as refused:
        record(kpi, owner, "97", source="x" * 201)
    assert "source" in refused.value.errors
    start, end = last_month()
    with pytest.raises(RuleViolation, match="at most 200 characters"):
        measurements.record_period(
            plan=communicated_plan,
            actor=owner,
            period_start=start,
            period_end=end,
            values={kpi: "97"},
            source="x" * 201,
        )
    assert not Measurement.objects.exists()
