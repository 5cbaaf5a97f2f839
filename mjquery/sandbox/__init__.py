"""A local Mailjet-compatible server with a seeded demo account: the ``--demo`` backend and the test double."""
