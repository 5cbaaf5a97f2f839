-- Campaign performance: deliveries, opens, clicks and bounces per campaign, with rates.
-- Run: mjquery run examples/campaign_performance.sql --demo --format markdown
SELECT
    CampaignSubject                                               AS subject,
    CAST(CampaignSendStartAt AS DATE)                             AS sent_on,
    DeliveredCount                                                AS delivered,
    OpenedCount                                                   AS opened,
    ClickedCount                                                  AS clicked,
    BouncedCount                                                  AS bounced,
    round(100.0 * OpenedCount / nullif(DeliveredCount, 0), 1)     AS open_pct,
    round(100.0 * ClickedCount / nullif(DeliveredCount, 0), 1)    AS click_pct
FROM CampaignStatistics
ORDER BY CampaignSendStartAt DESC;
