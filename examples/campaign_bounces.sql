-- Hard and soft bounces per campaign, worst first.
-- Run: mjquery run examples/campaign_bounces.sql --demo
SELECT
    CampaignSubject                                              AS subject,
    DeliveredCount + BouncedCount                                AS sent,
    HardBouncedCount                                             AS hard,
    SoftBouncedCount                                             AS soft,
    round(100.0 * BouncedCount / nullif(DeliveredCount + BouncedCount, 0), 2) AS bounce_pct
FROM CampaignStatistics
ORDER BY bounce_pct DESC NULLS LAST;
