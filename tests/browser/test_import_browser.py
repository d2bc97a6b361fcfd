"""Importing a CSV file in a real browser, through the UI only: a DPO uploads a contacts file with bad rows, sees
each bad row with its line and reason (nothing written yet), downloads the rejects, imports the good rows and
watches the import finish; axe-core finds nothing serious on the check page, and no console errors."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from admin_steps import axe_or_skip, log_in, screenshot, serious_violations, watch_console
from playwright.sync_api import Browser, Page, expect

from custos.clock import FixedClock

StaffFactory = Callable[..., Any]
FILE = (
    "name,email,organisation,org_number,customer_since\n"
    "Anna Andersson,anna@kund.se,Kund AB,556000-0001,2020-01-01\n"
    "Bo Bredd,not an address,Kund AB,556000-0001,2020-01-01\n"
    "Cecilia Carlsson,cecilia@kund.se,Kund AB,556000-0001,2020-01-01\n"
    "Dan Datum,dan@kund.se,Kund AB,556000-0001,1st of May\n"
)


@pytest.fixture
def axe_page(browser: Browser) -> Iterator[Page]:
    axe_or_skip()
    # axe is the test's tool, not the page's: the admin's CSP would rightly refuse the injected script.
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900}, bypass_csp=True)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_a_dpo_imports_a_csv_with_bad_rows(
    axe_page: Page, live_server: str, staff_factory: StaffFactory, clock: FixedClock, tmp_path: Path
) -> None:
    page = axe_page
    console_errors = watch_console(page)
    log_in(page, live_server, staff_factory("dpo"), clock)
    page.get_by_role("navigation", name="Areas").get_by_role("link", name="Import").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import people from a CSV file")
    expect(page.locator("#no-uploads")).to_be_visible()
    assert serious_violations(page) == []
    upload = tmp_path / "contacts.csv"
    upload.write_text(FILE, encoding="utf-8")
    page.get_by_label("The file holds").select_option("contacts")
    page.get_by_label("CSV file").set_input_files(str(upload))
    page.get_by_role("button", name="Check the file").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("What the check found")
    expect(page.locator("#check-summary")).to_have_text("4 rows: 2 good, 2 bad.")
    bad = page.locator("#bad-rows tbody tr")
    expect(bad).to_have_count(2)
    expect(bad.nth(0)).to_contain_text("3")
    expect(bad.nth(0)).to_contain_text("email")
    expect(bad.nth(1)).to_contain_text("5")
    expect(bad.nth(1)).to_contain_text("customer_since")
    expect(page.get_by_label("All or nothing")).to_be_disabled()
    assert serious_violations(page) == []
    screenshot(page, "import-check")

    with page.expect_download() as downloaded:
        page.get_by_role("link", name="Download the 2 bad rows as CSV, with their line and reason").click()
    rejects = list(csv.DictReader(io.StringIO(Path(downloaded.value.path()).read_text("utf-8"))))
    assert [r["line"] for r in rejects] == ["3", "5"]
    assert [r["name"] for r in rejects] == ["Bo Bredd", "Dan Datum"]

    page.get_by_label("Import the good rows and leave out the bad ones").check()
    page.get_by_role("button", name="Import 2 rows").click()
    done = page.locator("#import-done")
    expect(done).to_contain_text("2 rows imported: 2 people added", timeout=20_000)
    expect(page.locator("#import-skipped")).to_have_text("2 bad rows were left out.")
    assert serious_violations(page) == []
    screenshot(page, "import-done")
    assert console_errors == []
