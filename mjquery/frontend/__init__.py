"""What the ``mjquery`` command (``cli/``) and the interactive shell (``shell/``) share.

- :mod:`~mjquery.frontend.sqltext`: lexical helpers over SQL text (splitting statements,
  named parameters, statement kinds) that need no parser;
- :mod:`~mjquery.frontend.runner`: running one statement for a user (parameters, the write
  guard, the status line);
- :mod:`~mjquery.frontend.schema_view`: tables and columns in words (``tables``, ``describe``,
  ``.schema``, completion);
- :mod:`~mjquery.frontend.progress`: the progress line on standard error.

The result formatters live in :mod:`mjquery.output`. Neither front end imports the other; the
core (planner, engine, api, schema, dbapi, writes) imports none of them.
"""
