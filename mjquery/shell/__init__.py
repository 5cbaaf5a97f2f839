"""The interactive SQL shell (prompt_toolkit)."""
