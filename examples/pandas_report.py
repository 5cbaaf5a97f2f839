"""Campaign engagement with pandas, through mjquery's DB-API.

Run: python examples/pandas_report.py          (the demo account)
     python examples/pandas_report.py --live   (MJ_APIKEY_PUBLIC / MJ_APIKEY_PRIVATE)

The cursor's ``description`` gives the column names, so ``fetchall()`` becomes a DataFrame
the way ``pd.read_sql`` would build it.
"""

from __future__ import annotations

import sys

import pandas as pd

import mjquery

QUERY = """
SELECT CampaignSubject AS subject, DeliveredCount AS delivered, OpenedCount AS opened,
       ClickedCount AS clicked
FROM CampaignStatistics
WHERE DeliveredCount >= ?
"""


def campaign_frame(connection: mjquery.dbapi.Connection, min_delivered: int = 1) -> pd.DataFrame:
    cursor = connection.cursor()
    cursor.execute(QUERY, [min_delivered])
    columns = [d[0] for d in cursor.description]
    return pd.DataFrame.from_records(cursor.fetchall(), columns=columns)


def main() -> None:
    with mjquery.connect(demo="--live" not in sys.argv) as connection:
        frame = campaign_frame(connection)
    frame["open_rate"] = (frame["opened"] / frame["delivered"]).round(3)
    frame["click_to_open"] = (frame["clicked"] / frame["opened"]).round(3)
    best = frame.sort_values("open_rate", ascending=False).head(5)
    print(best.to_string(index=False))
    print(f"\n{len(frame)} campaigns; median open rate {frame['open_rate'].median():.1%}")


if __name__ == "__main__":
    main()
