-- Templates not used by a campaign sent in the last 90 days (or never used): clean-up candidates.
-- Run: mjquery run examples/unused_templates.sql --demo
SELECT
    t.ID,
    t.Name,
    t.EditMode,
    max(d.DeliveredAt) AS last_sent
FROM Template AS t
LEFT JOIN CampaignDraft AS d ON d.TemplateID = t.ID
GROUP BY t.ID, t.Name, t.EditMode
HAVING max(d.DeliveredAt) IS NULL
    OR max(d.DeliveredAt) < current_date - INTERVAL 90 DAY
ORDER BY last_sent NULLS FIRST, t.Name;
