-- The ten most clicked links across all campaigns.
-- Run: mjquery run examples/top_clicked_links.sql --demo
SELECT Url, ClickedCount
FROM TopLinkClicked
ORDER BY ClickedCount DESC
LIMIT 10;
