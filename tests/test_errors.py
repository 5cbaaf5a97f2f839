"""The error hierarchy is PEP 249's, rooted at mjquery.errors.Error."""

from mjquery import errors


def test_every_error_is_rooted_at_error() -> None:
    for cls in (
        errors.ProgrammingError,
        errors.NotSupportedError,
        errors.OperationalError,
        errors.IntegrityError,
        errors.DataError,
        errors.SqlSyntaxError,
        errors.AuthenticationError,
        errors.RateLimitError,
    ):
        assert issubclass(cls, errors.Error)
    assert issubclass(errors.SqlSyntaxError, errors.ProgrammingError)
    assert issubclass(errors.AuthenticationError, errors.OperationalError)


def test_closest_suggests_the_nearest_name() -> None:
    assert errors.closest("Emial", ["ID", "Email", "Name"]) == "Email"
    assert errors.closest("contactlist", ["Contact", "ContactList", "List"]) == "ContactList"
    assert errors.closest("zzzz", ["ID", "Email"]) is None
