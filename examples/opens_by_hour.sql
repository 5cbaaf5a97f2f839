-- When do people open? Opens by hour of the day (UTC), to pick a sending time.
-- Run: mjquery run examples/opens_by_hour.sql --demo
SELECT hour(OpenedAt) AS hour_utc, COUNT(*) AS opens
FROM OpenInformation
GROUP BY 1
ORDER BY 1;
