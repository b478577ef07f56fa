"""Check, in a real browser: the process owner records KPI values, plans a
process review from the plan page and carries it out (held date, attainment,
a minor nonconformity, an opportunity for improvement, an action), submits
it; the manager approves it from the approval queue; the plan's next review
is then due 12 months after the review's planned date, not its held date
(C1-C4, C6); an auditor reads the review and the findings register and can
change nothing (page and API)."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reviews.models import Review, ReviewSchedule

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

KPI = "Incidents resolved within target time"
MINOR = "Two incidents breached the resolution target without escalation."
OPPORTUNITY = "Routing tickets by category would spare the first reassignment."


def saved(page, text):
    expect(page.get_by_role("status")).to_contain_text(text)


def switch_user(page, login_in_browser, user):
    page.context.clear_cookies()
    return login_in_browser(user)


def day(date):
    """A date as the pages show it (`j M Y`): 3 May 2026."""
    return f"{date.day} {date:%b %Y}"


def month(date):
    """A month as the measurement pages name it: May 2026."""
    return f"{date:%B %Y}"


def test_owner_reviews_the_process_manager_approves_auditor_reads(
    login_in_browser, live_server, communicated_plan, owner, manager, auditor
):
    plan = communicated_plan
    today = timezone.localdate()
    last_month_end = today.replace(day=1) - datetime.timedelta(days=1)
    last_month = last_month_end.replace(day=1)
    month_before_end = last_month - datetime.timedelta(days=1)
    month_before = month_before_end.replace(day=1)
    # Planned two weeks ago, held a week late (C2 counts from the planned date).
    planned_on = today - datetime.timedelta(days=14)
    if (planned_on.month, planned_on.day) == (2, 29):
        planned_on -= datetime.timedelta(days=1)
    held_on = planned_on + datetime.timedelta(days=7)
    next_due = planned_on.replace(year=planned_on.year + 1)
    title = f"Process review of Incident management {planned_on:%b %Y}"

    # C1: the process owner records two months of her KPI from the plan page.
    page = login_in_browser(owner)
    page.get_by_role("navigation", name="Phases").get_by_role("link", name="Plan", exact=True).click()
    page.get_by_role("link", name="Incident management plan").click()
    page.get_by_role("link", name="Record measurements").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Measurements of Incident management plan")
    for start, end, value in ((last_month, last_month_end, "93"), (month_before, month_before_end, "96")):
        page.get_by_label("From").fill(start.isoformat())
        page.get_by_label("To", exact=True).fill(end.isoformat())
        page.get_by_role("button", name="Show this period").click()
        page.get_by_label(f"{KPI}, value for {month(start)}").fill(value)
        page.get_by_label("Source").fill("ITSM tool monthly report")
        page.get_by_role("button", name=f"Record the values for {month(start)}").click()
        saved(page, f"1 value recorded for {month(start)}.")
        expect(page.get_by_text(f"Recorded: {value} %, by Olivia Owen.")).to_be_visible()

    # C3: she plans the process review from the plan page.
    page.get_by_role("link", name="Incident management plan").click()
    page.get_by_role("region", name="Reviews", exact=True).get_by_role("link", name="Plan the review").click()
    expect(
        page.get_by_role("group", name="Kind of review").get_by_role("radio", name="Process review"),
        "The kind of review is a choice the user can make (a radio button), chosen for a plan's review",
    ).to_be_checked()
    page.get_by_label("Planned for").fill(planned_on.isoformat())
    page.get_by_label("Period covered from").fill(month_before.isoformat())
    page.get_by_label("to", exact=True).fill(last_month_end.isoformat())
    page.get_by_role("group", name="Participants").get_by_label("Sam Stone").check()
    page.get_by_role("button", name="Plan the review").click()
    saved(page, f"“{title}” is planned. Olivia Owen is told.")
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    review_id = int(re.search(r"/reviews/(\d+)/", page.url).group(1))

    # C4: she holds it, on the day she confirms; the attainment comes from the measurements of the period ...
    expect(page.get_by_label("Held on")).to_have_value(today.isoformat())
    page.get_by_label("Held on").fill(held_on.isoformat())
    page.get_by_role("button", name="Start the review").click()
    saved(page, "The review is in progress.")
    attainment = page.get_by_role("region", name="Objective attainment")
    expect(attainment.get_by_role("row", name=re.compile(KPI))).to_contain_text("93 %")
    expect(attainment).to_contain_text("Not met")
    expect(page.get_by_text("Say when the review was held.")).to_have_count(0)
    page.get_by_role("link", name="Edit dates, participants, decisions and minutes").click()
    expect(page.get_by_label("Held on")).to_have_value(held_on.isoformat())
    page.get_by_label("Decisions").fill("- Keep the 95 % target\n- Escalate breaches after 4 hours")
    page.get_by_label("Minutes").fill("The resolution rate dropped in the last month.")
    page.get_by_role("button", name="Save", exact=True).click()
    saved(page, "The review is saved.")
    page.get_by_role("link", name="Correct and comment").click()
    expect(page.get_by_label("Measured")).to_have_value("93")
    page.get_by_label("Comment").fill("Two major incidents in one week.")
    page.get_by_role("button", name="Save the attainment").click()
    saved(page, "The objective attainment is saved.")
    expect(attainment).to_contain_text("Two major incidents in one week.")

    # ... C6: records a minor nonconformity and an opportunity for improvement ...
    for number, grade, clause, description, evidence in (
        (1, "Minor nonconformity", "8.6", MINOR, "Tickets INC-1041 and INC-1057."),
        (2, "Opportunity for improvement", "8.1", OPPORTUNITY, "40 % of tickets were reassigned once."),
    ):
        page.get_by_role("link", name="Record a finding").click()
        page.get_by_label(grade).check()
        page.get_by_label("Clause").fill(clause)
        page.get_by_label("Process").select_option(label="Incident management")
        page.get_by_label("Finding", exact=True).fill(description)
        page.get_by_label("Objective evidence").fill(evidence)
        page.get_by_role("button", name="Save the finding").click()
        saved(page, f"Finding {number} is saved.")
        expect(page.get_by_role("link", name=f"Edit finding {number}")).to_be_visible()
    findings = page.get_by_role("region", name=re.compile("^Findings"))
    expect(findings.get_by_role("heading", name=re.compile("^Minor nonconformity"))).to_be_visible()
    expect(findings.get_by_role("heading", name=re.compile("^Opportunity for improvement"))).to_be_visible()

    # ... an action on the nonconformity, and submits the review.
    page.get_by_role("link", name=re.compile(f"Add an action for this finding F{review_id}-1")).click()
    expect(page.get_by_label("Addresses finding")).to_contain_text(f"F{review_id}-1")
    page.get_by_label("Action", exact=True).fill("Add an escalation rule for breaches.")
    page.get_by_label("Owner").select_option(label="Olivia Owen")
    page.get_by_label("Due on").fill((today + datetime.timedelta(days=30)).isoformat())
    page.get_by_role("button", name="Save the action").click()
    saved(page, "The action is saved.")
    action_row = page.get_by_role("row", name=re.compile("Add an escalation rule"))
    expect(action_row).to_contain_text("Olivia Owen")
    expect(action_row.get_by_role("link", name=f"F{review_id}-1")).to_be_visible()
    expect(action_row.get_by_role("button", name="Mark done")).to_be_visible()
    expect(page.get_by_text("The review is complete and can be submitted to top management.")).to_be_visible()
    page.get_by_label("Note for the approver").fill("Ready for your decision.")
    page.get_by_role("button", name="Submit the review").click()
    saved(page, "The review is submitted; top management decides on it.")

    # C4: the manager approves it from the approval queue.
    page = switch_user(page, login_in_browser, manager)
    page.get_by_role("navigation", name="Phases").get_by_role("link", name="Check", exact=True).click()
    page.get_by_role("link", name="Awaiting approval").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reviews awaiting your approval")
    page.get_by_role("link", name=f"Decide {title}").click()
    expect(page.get_by_text("The review waits for your decision.")).to_be_visible()
    expect(page.get_by_role("button", name="Return to the reviewer")).to_be_visible()
    page.get_by_label("Approval comment").fill("Agreed, follow up the escalation rule.")
    page.get_by_role("button", name="Approve the review").click()
    saved(page, "The review is approved.")
    expect(page.get_by_text(f"Approved by Morgan Meyer on {day(today)}.")).to_be_visible()
    expect(page.get_by_role("link", name="Add an addendum").first).to_be_visible()

    # C2: the plan's next review is due 12 months after the planned date, not the held one.
    page.get_by_role("link", name="The plan").click()
    schedule = page.get_by_role("region", name="Reviews", exact=True)
    expect(schedule).to_contain_text(re.compile(rf"Next review\s*{day(next_due)} · Olivia Owen"))
    expect(schedule).to_contain_text(
        re.compile(rf"Last review\s*{day(held_on)} \(planned {day(planned_on)}\)")
    )

    # The auditor reads the findings register and the review, and can change nothing.
    page = switch_user(page, login_in_browser, auditor)
    page.get_by_role("navigation", name="Phases").get_by_role("link", name="Check", exact=True).click()
    page.get_by_role("link", name="Findings register").click()
    register = page.get_by_role("table")
    expect(register.get_by_role("row", name=re.compile("Minor nonconformity"))).to_contain_text(MINOR)
    expect(register.get_by_role("row", name=re.compile("Opportunity for improvement"))).to_contain_text(
        OPPORTUNITY
    )
    register.get_by_role("link", name=title).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    expect(page.get_by_text(MINOR)).to_be_visible()
    expect(page.get_by_text(OPPORTUNITY)).to_be_visible()
    expect(page.get_by_text("Content verified: this is the review as it was approved.")).to_be_visible()
    expect(page.get_by_text("Nothing for you to do on this review.")).to_be_visible()
    for link in (
        "Edit dates, participants, decisions and minutes",
        "Correct and comment",
        "Record a finding",
        "Edit finding 1",
        "Add an action",
        "Add an addendum",
    ):
        expect(page.get_by_role("link", name=link)).to_have_count(0)
    for button in ("Approve the review", "Return to the reviewer", "Submit the review", "Mark done"):
        expect(page.get_by_role("button", name=button)).to_have_count(0)

    # The API (as the auditor) and the database say the same.
    review = page.request.get(f"{live_server.url}/api/v1/reviews/{review_id}/").json()
    assert review["status"] == "approved"
    assert (review["planned_on"], review["held_on"]) == (planned_on.isoformat(), held_on.isoformat())
    assert review["approval"]["by"]["name"] == "Morgan Meyer"
    assert [p["name"] for p in review["participants"]] == ["Sam Stone"]
    [row] = review["attainment"]
    assert (Decimal(row["measured"]), row["met"]) == (Decimal("93"), False)
    assert [(f["grade"], f["clause"], f["process"]["name"]) for f in review["findings"]] == [
        ("minor", "8.6", "Incident management"),
        ("opportunity", "8.1", "Incident management"),
    ]
    [action] = review["actions"]
    assert (action["owner"]["name"], action["status"]) == ("Olivia Owen", "open")
    assert review["available_actions"] == []
    schedules = page.request.get(f"{live_server.url}/api/v1/review-schedules/?plan={plan.pk}").json()
    [api_schedule] = schedules["results"]
    assert api_schedule["next_planned_on"] == next_due.isoformat()
    assert api_schedule["last_planned_on"] == planned_on.isoformat()

    stored = ReviewSchedule.objects.get(plan=plan)
    assert (stored.last_planned_on, stored.next_planned_on) == (planned_on, next_due)
    assert Review.objects.get(pk=review_id).status == Review.Status.APPROVED
