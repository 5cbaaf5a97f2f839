"""SQLAlchemy's dialect compliance suite (sqlalchemy.testing.suite) against mjquery.

Every suite class runs except those in ``EXCLUDED``; single tests that do not apply are skipped
with their reason (``SKIPPED``); features mjquery does not offer are switched off in
``mjquery_requirements.py``. docs/sqlalchemy.md lists all three, and
tests/test_sqlalchemy_suite.py checks that list against what ran.
"""

import pytest
from sqlalchemy.testing import suite
from sqlalchemy.testing.suite import *  # noqa: F403 - the prescribed wiring

#: Suite classes that do not apply to mjquery, and why.
EXCLUDED: dict[str, str] = {
    "DistinctOnTest": (
        "it only checks the deprecation warning dialects without DISTINCT ON give; DuckDB has "
        "DISTINCT ON and the dialect compiles it"
    ),
}

_MAILJET_LISTED = (
    "every Mailjet object is listed in the default schema beside the test's own tables, which "
    "this test expects alone (each object's reflection is checked by the single-table tests)"
)

#: Single tests that do not apply, and why: (class, test) -> reason.
SKIPPED: dict[tuple[str, str], str] = {
    ("ComponentReflectionTest", "test_get_table_names"): _MAILJET_LISTED,
    ("ComponentReflectionTest", "test_get_multi_columns"): _MAILJET_LISTED,
    ("ComponentReflectionTest", "test_get_multi_pk_constraint"): _MAILJET_LISTED,
    ("ComponentReflectionTest", "test_get_multi_foreign_keys"): _MAILJET_LISTED,
    ("ComponentReflectionTest", "test_get_multi_unique_constraints"): _MAILJET_LISTED,
    ("ComponentReflectionTest", "test_get_multi_indexes"): _MAILJET_LISTED,
    ("ComponentReflectionTest", "test_get_multi_check_constraints"): _MAILJET_LISTED,
    ("ComponentReflectionTest", "test_get_multi_table_comment"): _MAILJET_LISTED,
    ("ComponentReflectionTest", "test_get_unique_constraints"): (
        "DuckDB does not keep the names given to constraints"
    ),
    ("ComponentReflectionTest", "test_get_unique_constraints_quoted_name"): (
        "DuckDB does not keep the names given to constraints"
    ),
    ("ComponentReflectionTest", "test_get_foreign_keys_quoted_name"): (
        "DuckDB does not keep the names given to constraints"
    ),
    ("ComponentReflectionTest", "test_get_foreign_keys"): (
        "DuckDB does not keep the names given to constraints"
    ),
    ("ComponentReflectionTest", "test_get_temp_table_unique_constraints"): (
        "DuckDB does not keep the names given to constraints"
    ),
    ("ComponentReflectionTest", "test_reflect_table_temp_table"): (
        "DuckDB's VARCHAR has no length: VARCHAR(50) is read back as VARCHAR"
    ),
    ("ComponentReflectionTestExtra", "test_string_length_reflection"): (
        "DuckDB's VARCHAR has no length: VARCHAR(52) is stored as VARCHAR"
    ),
    ("TrueDivTest", "test_truediv_divisor"): (
        "DuckDB divides DECIMAL values as DOUBLE, so 30...0 / 10...0 is 3.0000000000000004"
    ),
    ("TrueDivTest", "test_truediv_numeric"): (
        "DuckDB divides DECIMAL values as DOUBLE (the quotient is not a DECIMAL)"
    ),
}


def _with_skips(base: type, tests: dict[str, str]) -> type:
    def skipper(reason: str):  # type: ignore[no-untyped-def]
        def skipped(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            pytest.skip(reason)

        return skipped

    return type(base.__name__, (base,), {name: skipper(why) for name, why in tests.items()})


for _class in sorted({c for c, _ in SKIPPED}):
    globals()[_class] = _with_skips(
        getattr(suite, _class), {t: why for (c, t), why in SKIPPED.items() if c == _class}
    )

for _name in EXCLUDED:
    del globals()[_name]
