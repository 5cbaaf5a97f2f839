"""The planner: the only code that imports sqlglot. SQL text -> typed QueryPlan."""
