-- Unsubscribes per list, with the unsubscribe rate, worst first.
-- Run: mjquery run examples/list_unsubscribes.sql --demo
SELECT
    Name                                                        AS list,
    SubscriberCount                                             AS subscribers,
    UnsubscribedCount                                           AS unsubscribed,
    round(100.0 * UnsubscribedCount / nullif(SubscriberCount, 0), 1) AS unsubscribe_pct
FROM ListStatistics
WHERE NOT IsDeleted
ORDER BY unsubscribe_pct DESC NULLS LAST;
