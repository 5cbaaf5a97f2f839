-- The members of one list, newest first. The list is a parameter:
--   mjquery run examples/list_members.sql --demo --param list_name=Newsletter
SELECT c.Email, c.Name, lr.SubscribedAt, lr.IsUnsubscribed
FROM List AS l
JOIN ListRecipient AS lr ON lr.ListID = l.ID
JOIN Contact AS c ON c.ID = lr.ContactID
WHERE l.Name = :list_name
ORDER BY lr.SubscribedAt DESC
LIMIT 20;
