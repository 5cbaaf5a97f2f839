"""Every saved query in examples/ runs against the demo account and prints meaningful rows."""

from __future__ import annotations

import csv
import io
import runpy
from pathlib import Path

import pytest

from mjquery.cli.main import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PARAMS = {
    "list_members.sql": ["list_name=Newsletter"],
    "export_segment.sql": ["list_name=Newsletter"],
    "contact_import.sql": [f"file={EXAMPLES / 'data' / 'new_contacts.csv'}"],
}
# The columns each example must return (a rename or a broken query shows up here).
COLUMNS = {
    "list_growth.sql": ["list", "month", "subscribed", "unsubscribed_since"],
    "list_unsubscribes.sql": ["list", "subscribers", "unsubscribed", "unsubscribe_pct"],
    "list_members.sql": ["Email", "Name", "SubscribedAt", "IsUnsubscribed"],
    "campaign_performance.sql": [
        "subject",
        "sent_on",
        "delivered",
        "opened",
        "clicked",
        "bounced",
        "open_pct",
        "click_pct",
    ],
    "top_clicked_links.sql": ["Url", "ClickedCount"],
    "contacts_never_opened.sql": ["Email", "Name", "delivered", "LastActivityAt"],
    "bounces_by_domain.sql": ["domain", "bounces", "hard", "soft", "contacts"],
    "unused_templates.sql": ["ID", "Name", "EditMode", "last_sent"],
    "export_segment.sql": ["Email", "Name", "clicks", "LastActivityAt"],
    "opens_by_hour.sql": ["hour_utc", "opens"],
    "campaign_bounces.sql": ["subject", "sent", "hard", "soft", "bounce_pct"],
    "excluded_contacts.sql": ["Email", "Name", "ExclusionFromCampaignsUpdatedAt"],
    "lists_overview.sql": ["Name", "SubscriberCount", "created"],
}
SQL_FILES = sorted(p.name for p in EXAMPLES.glob("*.sql"))


def test_there_are_at_least_a_dozen_examples() -> None:
    assert len(SQL_FILES) >= 12
    assert set(COLUMNS) | {"contact_import.sql"} == set(SQL_FILES)


@pytest.mark.parametrize("name", SQL_FILES)
def test_example_runs_against_the_demo_account(name: str) -> None:
    argv = ["run", str(EXAMPLES / name), "--demo", "--format", "csv"]
    for param in PARAMS.get(name, []):
        argv += ["--param", param]
    out, err = io.StringIO(), io.StringIO()
    assert main(argv, stdout=out, stderr=err) == 0, err.getvalue()
    if name == "contact_import.sql":
        assert err.getvalue().startswith("3 rows inserted")
        return
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows, f"{name} returned no rows on the demo account"
    assert list(rows[0]) == COLUMNS[name]


def test_export_segment_writes_a_csv_file(tmp_path: Path) -> None:
    target = tmp_path / "clickers.csv"
    argv = [
        "run",
        str(EXAMPLES / "export_segment.sql"),
        "--demo",
        "--param",
        "list_name=Newsletter",
        "--format",
        "csv",
        "-o",
        str(target),
    ]
    assert main(argv, stdout=io.StringIO(), stderr=io.StringIO()) == 0
    with target.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and all(int(r["clicks"]) > 0 for r in rows)


def test_pandas_example(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.argv", ["pandas_report.py"])
    runpy.run_path(str(EXAMPLES / "pandas_report.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "open_rate" in out.splitlines()[0]
    assert "campaigns; median open rate" in out
