"""The Mailjet API client: the only code that imports httpx (auth, paging, retries, cache)."""
