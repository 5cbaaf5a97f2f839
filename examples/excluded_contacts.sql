-- Contacts excluded from marketing campaigns, newest first (the filter is sent to the API).
-- Run: mjquery run examples/excluded_contacts.sql --demo
SELECT Email, Name, ExclusionFromCampaignsUpdatedAt
FROM Contact
WHERE IsExcludedFromCampaigns = true
ORDER BY ExclusionFromCampaignsUpdatedAt DESC NULLS LAST;
