-- Export a segment to CSV: the active members of one list who clicked at least once.
--   mjquery run examples/export_segment.sql --demo --param list_name=Newsletter \
--       --format csv -o newsletter_clickers.csv
SELECT c.Email, c.Name, s.ClickedCount AS clicks, s.LastActivityAt
FROM List AS l
JOIN ListRecipient AS lr ON lr.ListID = l.ID
JOIN Contact AS c ON c.ID = lr.ContactID
JOIN ContactStatistics AS s ON s.ContactID = c.ID
WHERE l.Name = :list_name
  AND NOT lr.IsUnsubscribed
  AND s.ClickedCount > 0
ORDER BY clicks DESC, c.Email;
