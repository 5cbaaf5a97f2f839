-- Import contacts from a CSV file (columns Email, Name). mjquery sends them to Mailjet:
-- one request per contact, or a bulk job for large files.
-- Run: mjquery run examples/contact_import.sql --demo --param file=examples/data/new_contacts.csv
-- (or: mjquery import Contact examples/data/new_contacts.csv)
INSERT INTO Contact (Email, Name)
SELECT Email, Name
FROM read_csv(:file)
WHERE Email LIKE '%@%';
