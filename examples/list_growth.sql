-- List growth: new subscriptions and unsubscribes per list and month.
-- Run: mjquery run examples/list_growth.sql --demo
SELECT
    lr.ListName                                           AS list,
    strftime(date_trunc('month', lr.SubscribedAt), '%Y-%m') AS month,
    COUNT(*)                                              AS subscribed,
    COUNT(*) FILTER (WHERE lr.IsUnsubscribed)             AS unsubscribed_since
FROM ListRecipient AS lr
GROUP BY 1, 2
ORDER BY 1, 2;
