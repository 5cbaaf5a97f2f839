-- Contacts who received emails but never opened one: candidates for a re-engagement campaign.
-- Run: mjquery run examples/contacts_never_opened.sql --demo --format csv -o never_opened.csv
SELECT c.Email, c.Name, s.DeliveredCount AS delivered, s.LastActivityAt
FROM ContactStatistics AS s
JOIN Contact AS c ON c.ID = s.ContactID
WHERE s.DeliveredCount > 0
  AND s.OpenedCount = 0
ORDER BY s.DeliveredCount DESC, c.Email;
