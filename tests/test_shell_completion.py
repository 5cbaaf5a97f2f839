"""Completion as pure functions: what fits at the cursor, and which names the catalog offers."""

from __future__ import annotations

import pytest
from prompt_toolkit.completion import CompleteEvent, Completion
from prompt_toolkit.document import Document

from mjquery.frontend.sqltext import tokenize
from mjquery.schema.catalog import load_catalog
from mjquery.shell.completer import SqlCompleter, candidates
from mjquery.shell.keys import input_is_ready
from mjquery.shell.suggest import SuggestionKind as K
from mjquery.shell.suggest import TableRef, suggest, tables_in_scope
from mjquery.shell.vocabulary import reserved_words, sql_functions, sql_keywords

CATALOG = load_catalog()


def names(text: str, after: str = "") -> list[str]:
    return [
        c.text
        for c in candidates(
            suggest(text, after), CATALOG.objects, keywords=sql_keywords, functions=sql_functions
        )
    ]


@pytest.mark.parametrize(
    ("text", "kinds", "word"),
    [
        ("", (K.KEYWORD,), ""),
        ("SEL", (K.KEYWORD,), "SEL"),
        ("SELECT ", (K.COLUMN, K.FUNCTION, K.KEYWORD), ""),
        ("SELECT Name FROM ", (K.TABLE,), ""),
        ("SELECT * FROM List l JOIN ", (K.TABLE,), ""),
        ("INSERT INTO Con", (K.TABLE,), "Con"),
        ("UPDATE ", (K.TABLE,), ""),
        ("SELECT * FROM List WHERE ", (K.COLUMN, K.FUNCTION, K.KEYWORD), ""),
        ("UPDATE Contact SET ", (K.COLUMN, K.FUNCTION, K.KEYWORD), ""),
        ("SELECT * FROM List a JOIN Contact b ON a.ID = ", (K.COLUMN, K.FUNCTION, K.KEYWORD), ""),
        ("SELECT * FROM List ", (K.KEYWORD,), ""),
        ("SELECT * FROM List, ", (K.TABLE,), ""),
        ("SELECT ID, ", (K.COLUMN, K.FUNCTION, K.KEYWORD), ""),
        ("SELECT * FROM List WHERE Name = 'Fr", (), ""),
        ("SELECT 1 -- a comm", (), ""),
        (".sch", (K.META,), ".sch"),
        ("\\", (K.META,), "\\"),
        (".schema Con", (K.TABLE,), "Con"),
        (".format j", (K.FORMAT,), "j"),
        (".read ex", (K.PATH,), "ex"),
    ],
)
def test_what_fits_at_the_cursor(text: str, kinds: tuple[K, ...], word: str) -> None:
    context = suggest(text)
    assert context.kinds() == kinds
    assert context.word == word


def test_tables_in_scope_with_aliases() -> None:
    sql = 'SELECT * FROM List AS l, "Campaign" JOIN Contact c ON c.ID = l.ID WHERE x = 1'
    assert tables_in_scope(list(tokenize(sql))) == (
        TableRef("List", "l"),
        TableRef("Campaign", None),
        TableRef("Contact", "c"),
    )


def test_table_functions_and_subqueries_are_not_tables() -> None:
    assert tables_in_scope(list(tokenize("SELECT * FROM read_csv('x.csv'), (SELECT 1) t"))) == ()


def test_columns_come_from_the_tables_after_the_cursor_too() -> None:
    found = names("SELECT Na", " FROM List")
    assert found[0] == "Name"
    assert set(names("SELECT ", " FROM List")) >= {"Name", "SubscriberCount", "ID"}


def test_qualified_columns_only_list_that_table() -> None:
    found = names("SELECT c.", " FROM List l JOIN Contact c ON c.ID = l.ID")
    assert "Email" in found and "SubscriberCount" not in found


def test_pushed_columns_are_marked() -> None:
    context = suggest("SELECT * FROM Contact WHERE ")
    found = {
        c.text: c
        for c in candidates(
            context, CATALOG.objects, keywords=sql_keywords, functions=sql_functions
        )
    }
    contact = CATALOG.get("Contact")
    pushed = {f.column for f in contact.filters}
    assert pushed, "Contact declares API filters"
    for column in pushed:
        assert found[column].pushed and "API: " in found[column].meta
    unpushed = [c.name for c in contact.columns if not contact.filters_on(c.name)]
    for column in unpushed:
        assert not found[column].pushed


def test_pseudo_columns_are_offered_in_where() -> None:
    contact = CATALOG.get("Contact")
    assert contact.pseudo_columns, "Contact.ContactsList carries the list filter"
    found = {
        c.text: c
        for c in candidates(
            suggest("SELECT * FROM Contact WHERE "),
            CATALOG.objects,
            keywords=sql_keywords,
            functions=sql_functions,
        )
    }
    assert (
        found["ContactsList"].meta == "BIGINT · API: = · API filter only"
        or "API filter only" in found["ContactsList"].meta
    )


def test_tables_complete_by_prefix_then_substring() -> None:
    found = names("SELECT * FROM Lis")
    assert found[0] == "List"
    assert "ListRecipient" in found
    assert "contactslist" in names("SELECT * FROM contactsl")  # an alias


def test_keywords_and_functions_come_from_the_libraries() -> None:
    assert {"SELECT", "GROUP BY", "ORDER BY", "QUALIFY"} <= set(sql_keywords())
    assert {"count", "strftime", "date_trunc", "read_csv"} <= set(sql_functions())
    assert names("SELECT date_tr")[0] == "date_trunc"
    assert names("sel") == ["select"]  # keywords follow the case being typed


def test_meta_commands_complete() -> None:
    assert names(".ta") == [".tables"]
    assert names(".cache ") == ["clear", "off", "on"]
    assert names(".format m") == ["markdown"]


def test_completer_replaces_the_word_and_shows_the_marker() -> None:
    completer = SqlCompleter(
        lambda: CATALOG.objects, keywords=sql_keywords, functions=sql_functions
    )
    doc = Document("SELECT * FROM Contact WHERE Ema")
    completions = list(completer.get_completions(doc, CompleteEvent(completion_requested=True)))
    email = next(c for c in completions if c.text == "Email")
    assert email.start_position == -3
    assert email.display_text.endswith("⇣")


@pytest.mark.parametrize(
    ("text", "ready"),
    [
        ("SELECT 1;", True),
        ("SELECT 1", False),
        ("SELECT ';", False),
        (".tables", True),
        ("\\d Contact", True),
        ("", True),
        ("quit", True),
        ("SELECT 1;\n", True),
    ],
)
def test_enter_runs_only_complete_input(text: str, ready: bool) -> None:
    assert input_is_ready(text) is ready


def _completion_objects(text: str, after: str = "", *, requested: bool = False) -> list[Completion]:
    completer = SqlCompleter(
        lambda: CATALOG.objects,
        keywords=sql_keywords,
        functions=sql_functions,
        reserved=reserved_words,
    )
    event = CompleteEvent(completion_requested=requested, text_inserted=not requested)
    document = Document(text + after, len(text))
    return list(completer.get_completions(document, event))


def _completions(text: str, after: str = "", *, requested: bool = False) -> list[str]:
    return [c.text for c in _completion_objects(text, after, requested=requested)]


@pytest.mark.parametrize(
    "text",
    ["", "   ", "SELECT Name\n", "SELECT Name\n    ", "SELECT 1;", "SELECT 1; ", "SELECT 1;\n"],
)
def test_no_menu_while_typing_on_an_empty_line_or_after_a_semicolon(text: str) -> None:
    assert _completions(text) == []
    assert _completions(text, requested=True)  # Tab still opens one


def test_names_that_need_quotes_are_completed_quoted() -> None:
    assert '"campaigndraft/detailcontent"' in _completions("SELECT * FROM campaigndraft")
    assert _completions('SELECT * FROM "campaigndraft/det') == ['"campaigndraft/detailcontent"']
    # typed unquoted, as the API spells it: the whole path is replaced by the quoted name
    for typed in ("SELECT * FROM campaigndraft/det", "SELECT * FROM List l JOIN campaigndraft/"):
        completions = _completion_objects(typed)
        assert [c.text for c in completions][:1] == ['"campaigndraft/detailcontent"']
        assert completions[0].start_position == -len(typed.rsplit(" ", 1)[1])
    assert '"Html-part"' in _completions("SELECT Htm", " FROM CampaignDraftDetailContent")
    # a reserved word as a column name
    assert '"From"' in _completions("SELECT Fr", " FROM Message")
    # a plain name stays plain
    assert "CampaignDraft" in _completions("SELECT * FROM CampaignDr")
