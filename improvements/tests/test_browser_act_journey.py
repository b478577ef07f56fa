"""Act in a real browser, in the demo, as its users would try it (issue 12,
"Done when"): a minor nonconformity of an approved review is in the service
improvement plan; the CSI owner approves it; the process owner records a
baseline from the KPI's measurements, starts the implementation, records the
correction, root cause and corrective action, marks it implemented and
records the achieved values; the CSI owner sees them against baseline and
target, confirms the effectiveness and closes it, and the finding closes with
it. A company-wide improvement is not approved before it has a project. The
auditor exports the register as XLSX and finds the chain from finding to
result in it."""

import datetime
import io
import re

import pytest
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from accounts.models import User
from improvements.forms import kpi_label
from improvements.models import Improvement
from pdca.demo import DEMO_PASSWORD
from plans.models import Kpi
from reviews.models import Finding

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NONCONFORMITY = "Change records do not state the remediation plan."
COMPANY_WIDE = "Single sign-on for every service desk tool"


def saved(page, text):
    expect(page.get_by_role("status")).to_contain_text(text)


def switch_user(page, login_in_browser, username):
    page.context.clear_cookies()
    return login_in_browser(User.objects.get(username=username), DEMO_PASSWORD)


def open_from_register(page, title):
    page.get_by_role("navigation", name="Phases").get_by_role("link", name="Act", exact=True).click()
    page.get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)


def test_a_minor_nonconformity_from_finding_to_effective_result(login_in_browser, live_server):
    call_command("seed_demo", quiet=True)
    today = timezone.localdate()
    improvement = Improvement.objects.get(title=NONCONFORMITY)
    finding = improvement.finding
    assert finding.grade == Finding.Grade.MINOR and improvement.status == Improvement.Status.PROPOSED

    # The CSI owner finds the nonconformity of the approved audit in the register, and approves it.
    page = login_in_browser(User.objects.get(username="csi"), DEMO_PASSWORD)
    page.get_by_role("navigation", name="Phases").get_by_role("link", name="Act", exact=True).click()
    row = page.locator(f"#improvement-{improvement.number}")
    expect(row).to_contain_text(finding.code)
    expect(row).to_contain_text("Minor nonconformity")
    expect(row).to_contain_text("Proposed")
    row.get_by_role("link", name=NONCONFORMITY).click()
    page.get_by_label("Approval comment").fill("Eliminate it this quarter.")
    page.get_by_role("button", name="Approve the improvement").click()
    saved(page, "The improvement is approved.")

    # The owner of change management names the KPI it aims at and its target ...
    page = switch_user(page, login_in_browser, "owner2")
    open_from_register(page, NONCONFORMITY)
    page.get_by_role("link", name="Edit the details").click()
    kpi = Kpi.objects.get(objective__version=improvement.processes.get().plan.current_version)
    page.get_by_label("KPI it aims at").select_option(label=kpi_label(kpi))
    page.get_by_label("Target", exact=True).fill("1")
    page.get_by_role("button", name="Save", exact=True).click()
    saved(page, "is saved.")
    # ... takes the baseline from the KPI's measurements and accepts it ...
    page.get_by_role("link", name="Record the baseline").click()
    expect(page.get_by_label(re.compile("Changes causing incidents"))).to_be_checked()
    page.get_by_role("button", name="Take the baseline from the measurements").click()
    saved(page, "The baseline is taken from the measurements")
    page.get_by_role("button", name="Accept the baseline").click()
    saved(page, "The baseline is accepted")
    baseline = improvement.baseline.get().value
    # ... starts the implementation and records how the nonconformity is eliminated ...
    page.get_by_role("button", name="Start the implementation").click()
    saved(page, "The implementation has started.")
    page.get_by_role("link", name="Record the root cause and corrective action").click()
    page.get_by_label("Correction", exact=True).fill("The nine change records were completed.")
    page.get_by_label("Root cause", exact=True).fill("The remediation field was optional in the change form.")
    page.get_by_label("Method", exact=True).fill("5 whys")
    page.get_by_label("Similar nonconformities elsewhere").fill("Release records checked: complete.")
    page.get_by_label("Corrective action", exact=True).fill(
        "The remediation plan is mandatory for normal changes."
    )
    page.get_by_role("button", name="Save the root cause and corrective action").click()
    saved(page, "The root cause and corrective action are saved.")
    # ... marks it implemented and records what it achieved.
    page.get_by_role("button", name="Mark as implemented").click()
    saved(page, "The improvement is implemented.")
    page.get_by_role("link", name="Record the achieved values").click()
    achieved = baseline - 1
    page.get_by_label("Value", exact=True).fill(str(achieved))
    page.get_by_label("Measured from").fill((today - datetime.timedelta(days=30)).isoformat())
    page.get_by_label("to", exact=True).fill(today.isoformat())
    page.get_by_label("Evidence").fill("Change records of the last 30 days.")
    page.get_by_role("button", name="Record the achieved value").click()
    saved(page, "The achieved value is recorded.")

    # The CSI owner sees the achieved value against baseline and target, confirms it and closes it.
    page = switch_user(page, login_in_browser, "csi")
    open_from_register(page, NONCONFORMITY)
    comparison = page.locator("#comparison")
    expect(comparison.locator("tbody tr")).to_contain_text("Changes causing incidents")
    expect(comparison.locator("thead")).to_contain_text("Baseline")
    expect(comparison.locator("tbody td").nth(1)).to_contain_text(f"≤ 1 {kpi.unit}")  # the target
    expect(comparison.locator("tbody td").nth(3)).to_contain_text(f"-1 {kpi.unit}")  # the difference
    expect(comparison.locator("tbody td").nth(3)).to_contain_text("better")
    expect(comparison.locator("svg.kpi-chart")).to_be_visible()
    expect(page.locator("#nonconformity")).to_contain_text("The remediation field was optional")
    page.get_by_label("Effective", exact=True).check()
    page.get_by_label("Evidence").fill("All 31 changes of the last 30 days state their remediation plan.")
    page.get_by_role("button", name="Record the effectiveness check").click()
    saved(page, "The improvement is effective.")
    page.get_by_role("button", name="Close the improvement").click()
    saved(page, f"Finding {finding.code} is closed with it.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Closed")
    page.get_by_role("link", name=finding.code).first.click()
    expect(page.locator(f"#finding-{finding.number}")).to_contain_text("Closed")
    assert Finding.objects.get(pk=finding.pk).status == Finding.Status.CLOSED

    # A company-wide improvement cannot be approved before it has a project.
    open_from_register(page, COMPANY_WIDE)
    page.get_by_role("button", name="Approve the improvement").click()
    expect(page.get_by_role("alert")).to_contain_text("is carried out as a project: set up its project first")
    page.get_by_role("link", name="Set up its project").click()
    page.get_by_label("Name").fill("Identity and access 2027")
    page.get_by_label("Project manager").select_option(label="Dana Brooks")
    page.get_by_label("Ends on").fill((today + datetime.timedelta(days=200)).isoformat())
    page.get_by_role("button", name="Save the project").click()
    saved(page, "is saved")
    page.get_by_role("link", name=COMPANY_WIDE).click()
    page.get_by_role("button", name="Approve the improvement").click()
    saved(page, "The improvement is approved.")

    # The auditor exports the register as XLSX and finds the whole chain in it.
    page = switch_user(page, login_in_browser, "auditor")
    page.get_by_role("navigation", name="Phases").get_by_role("link", name="Act", exact=True).click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Excel (XLSX)").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    with open(download.value.path(), "rb") as handle:
        workbook = load_workbook(io.BytesIO(handle.read()), read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    header = list(rows[0])
    exported = {row[0]: dict(zip(header, row, strict=False)) for row in rows[1:]}
    assert len(exported) == Improvement.objects.count()
    line = exported[improvement.code]
    assert line["Finding"].startswith(finding.code) and line["Review"] == str(finding.review)
    assert (line["Status"], line["Effective"]) == ("Closed", "Yes")
    assert (line["Baseline"], line["Target"], line["Achieved"]) == (float(baseline), 1, float(achieved))
