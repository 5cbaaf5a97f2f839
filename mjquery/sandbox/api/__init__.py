"""The Mailjet API the sandbox serves: requests in, answers out, over any account's data.

:class:`~mjquery.sandbox.api.core.Sandbox` answers one request at a time; the in-process httpx
transport (``transport``) and the HTTP server (``server``) call it. List queries are in
``query`` (filters, sorting, paging), ``semantics`` (filters whose meaning comes from another
resource, a table of filter factories) and ``aggregates`` (statistics recomputed for the messages a
request selects), on the value parsing of ``values``; actions and sub-resources in ``actions`` and
``imports``; the data in ``store``. ``wire`` holds the request, answer and error types every part
shares. What the API needs from an account is described in :mod:`mjquery.sandbox.account`.
"""
