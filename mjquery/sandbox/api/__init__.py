"""The Mailjet API the sandbox serves: requests in, answers out, over any account's data.

:class:`~mjquery.sandbox.api.core.Sandbox` answers one request at a time; the in-process httpx
transport (``transport``) and the HTTP server (``server``) call it. List queries are in
``query`` (filters, sorting, paging), ``semantics`` (filters whose meaning comes from another
resource) and ``aggregates`` (statistics recomputed for the messages a request selects); actions
and sub-resources in ``actions`` and ``imports``; the data in ``store``.
"""
