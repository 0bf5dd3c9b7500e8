"""The dashboard's CSV files open safely in a spreadsheet: a text cell that starts like a
formula (=, +, -, @, tab, CR) is a quoted cell behind a single quote (OWASP's CSV injection
advice), counts stay plain numbers."""

from __future__ import annotations

import csv
import io
import os
import re
from datetime import date
from typing import Any

import boto3
import pytest
import requests

from counters.storage.keys import report_pk, report_sk
from tests.e2e.conftest import USER_AGENT, Operator

pytestmark = pytest.mark.e2e

SITE = "e2e-csv"
# Campaign values written straight into today's report items (the aggregator's layout):
# the API keeps control characters out of real campaigns, the CSV must not rely on it.
SEEDED = {
    "+1": 7,
    "@sum(a1)": 6,
    "\tcmd": 5,
    "\rcmd": 4,
    'say "hi", a;b': 3,
    "zalo / social / tet": 2,
}
# Each value as its CSV cell, written out by hand.
CELLS = {
    "=1+1 / - / -": '"\'=1+1 / - / -"',
    "- / - / -5": '"\'- / - / -5"',
    "+1": '"\'+1"',
    "@sum(a1)": '"\'@sum(a1)"',
    "\tcmd": '"\'\tcmd"',
    "\rcmd": '"\'\rcmd"',
    'say "hi", a;b': '"say ""hi"", a;b"',
    "zalo / social / tet": "zalo / social / tet",
}


@pytest.fixture(scope="module")
def seeded(local_api: Any) -> date:
    operator = Operator(local_api.url)
    operator.register(SITE)
    today = date.fromisoformat(operator.today(SITE))
    # Real hits: a page URL's utm tags become the campaign "source / medium / campaign".
    for visitor, utm in enumerate([{"utm_source": "=1+1"}, {"utm_campaign": "-5"}]):
        answer = requests.post(
            f"{local_api.url}/v1/sites/{SITE}/hits",
            json={"path": "/", "utm": utm},
            headers={"User-Agent": f"{USER_AGENT} csv/{visitor}"},
            timeout=10,
        )
        assert answer.status_code == 200 and answer.json()["counted"], answer.text
    local_api.drain_streams()
    client = boto3.client("dynamodb", region_name="us-east-1")  # the local API's moto endpoint
    for value, visits in SEEDED.items():
        item = {
            "pk": {"S": report_pk(SITE, "campaign", today)},
            "sk": {"S": report_sk(today, value)},
            "v": {"N": str(visits)},
            "p": {"N": str(visits * 10)},
        }
        client.put_item(TableName=os.environ["TABLE_NAME"], Item=item)
    return today


def download(page: Any, button: str) -> str:
    with page.expect_download() as info:
        page.click(button)
    with open(info.value.path(), encoding="utf-8", newline="") as fh:
        return fh.read()


def test_campaign_csv_escapes_formula_cells(page: Any, local_api: Any, seeded: date) -> None:
    page.goto(f"{local_api.url}/dashboard?site={SITE}&lang=en")
    page.wait_for_selector("body[data-breakdowns=ready], body[data-state=error]", timeout=45_000)
    assert page.get_attribute("body", "data-breakdowns") == "ready", page.text_content("#status")
    text = download(page, "#card-campaign button.csv")

    assert text.startswith("value,visits,pageviews\r\n")
    counts = {"=1+1 / - / -": (1, 1), "- / - / -5": (1, 1)}
    counts.update({value: (n, n * 10) for value, n in SEEDED.items()})
    expected = sorted(f"{CELLS[value]},{v},{p}" for value, (v, p) in counts.items())
    # The file's lines end in CRLF; a CR inside a quoted cell is no line end.
    lines = text.removeprefix("value,visits,pageviews\r\n").removesuffix("\r\n").split("\r\n")
    assert sorted(lines) == expected
    # A spreadsheet (or any CSV reader) reads each value behind the quote, counts as numbers.
    rows = list(csv.reader(io.StringIO(text)))[1:]
    assert sorted(r[0] for r in rows) == sorted(
        ["'=1+1 / - / -", "'- / - / -5", "'+1", "'@sum(a1)", "'\tcmd", "'\rcmd"]
        + ['say "hi", a;b', "zalo / social / tet"]
    )
    assert all(r[1].isdigit() and r[2].isdigit() for r in rows)


def test_daily_csv_has_plain_dates_and_numbers(page: Any, local_api: Any, seeded: date) -> None:
    page.goto(f"{local_api.url}/dashboard?site={SITE}")
    page.wait_for_selector("body[data-state=ready], body[data-state=error]", timeout=45_000)
    assert page.get_attribute("body", "data-state") == "ready", page.text_content("#status")
    lines = download(page, "button.csv[data-chart=day]").split("\r\n")
    assert lines[0] == "period,visits,pageviews" and lines[-1] == ""
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2},\d+,\d+", line) for line in lines[1:-1])
    assert lines[-2] == f"{seeded.isoformat()},2,2"
