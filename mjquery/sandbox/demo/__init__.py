"""The demo account the sandbox serves: a seeded, realistic Mailjet account built in memory.

:func:`build_demo_account` (in :mod:`mjquery.sandbox.demo.account`) draws it from one seed;
the other modules generate its parts: the audience (``people``), the campaigns (``campaigns``),
the messages and their events (``messages``), the statistics computed from them (``stats``),
the account's other resources (``extra``), with the words they are made of (``vocab``) and the
reference's field lists (``reference``).
"""

from mjquery.sandbox.demo.account import DEMO_NOW, DemoData, build_demo_account

__all__ = ["DEMO_NOW", "DemoData", "build_demo_account"]
