-- Bounce analysis by recipient domain: hard bounces point at dead domains or typos
-- (exmaple.com), soft bounces at full mailboxes or throttling.
-- Run: mjquery run examples/bounces_by_domain.sql --demo
SELECT
    lower(split_part(c.Email, '@', 2))                    AS domain,
    COUNT(*)                                              AS bounces,
    COUNT(*) FILTER (WHERE b.IsStatePermanent)            AS hard,
    COUNT(*) FILTER (WHERE NOT b.IsStatePermanent)        AS soft,
    COUNT(DISTINCT b.ContactID)                           AS contacts
FROM BounceStatistics AS b
JOIN Contact AS c ON c.ID = b.ContactID
GROUP BY 1
ORDER BY bounces DESC;
