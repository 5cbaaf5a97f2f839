-- Every list with its subscriber count: the README's first query, plus the creation date.
-- Run: mjquery run examples/lists_overview.sql --demo
SELECT Name, SubscriberCount, CAST(CreatedAt AS DATE) AS created
FROM List
WHERE NOT IsDeleted
ORDER BY SubscriberCount DESC;
