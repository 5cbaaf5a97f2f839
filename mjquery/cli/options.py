"""The ``mjquery`` argument parser: sub-commands, and the common options they all accept.

Common options work before or after the sub-command (``mjquery --demo run q.sql`` and
``mjquery run q.sql --demo``): they are declared on the top-level parser and again on each
sub-command parser with ``SUPPRESS`` defaults, so a value given after the sub-command is kept
and an absent one does not overwrite the value given before it.
"""

from __future__ import annotations

import argparse
import sys
import textwrap

from mjquery.output import OutputFormat

PROG = "mjquery"

DESCRIPTION = """\
SQL over the Mailjet email API. Without a command, starts the interactive shell (or runs the
SQL read from standard input when it is not a terminal)."""

MAIN_EPILOG = """\
examples:
  mjquery --demo                                  # the shell, on the built-in demo account
  mjquery --demo -c "SELECT Name, SubscriberCount FROM List ORDER BY SubscriberCount DESC"
  echo "SELECT COUNT(*) FROM Contact" | mjquery --demo --format csv
  mjquery run examples/list_members.sql --demo --param list_name=Newsletter
  mjquery --profile work tables

several statements (-c, run, standard input) print their results in turn: tables and csv/tsv
with a blank line between two results, jsonl as one object per line, json as one array holding
each statement's array of rows. They stop at the first error, which names the statement.

credentials: MJ_APIKEY_PUBLIC and MJ_APIKEY_PRIVATE, or a profile of the config file
(see `mjquery config --help`). Exit status: 0 on success, 1 when a statement or command
fails, 2 for a usage error, 3 when a write or an import applied some rows and the API refused
others (each refusal is printed as a warning), 130 when interrupted."""

#: File formats of ``mjquery export`` (``--format``, else the extension of ``-o``).
EXPORT_FORMATS = ("csv", "parquet", "json", "jsonl", "tsv")


def _add_common(
    parser: argparse.ArgumentParser, *, top_level: bool, output_format: bool = True
) -> None:
    """The options every command accepts. On sub-commands, absent options keep the top-level value.

    ``output_format=False``: the command declares its own ``--format`` (export: file formats).
    """
    default = (lambda value: value) if top_level else (lambda value: argparse.SUPPRESS)
    group = parser.add_argument_group("common options")
    group.add_argument(
        "--demo",
        action="store_true",
        default=default(False),
        help="use the built-in demo account (in-process sandbox: no credentials, no network)",
    )
    group.add_argument(
        "--base-url",
        metavar="URL",
        default=default(None),
        help="Mailjet API base URL (default https://api.mailjet.com)",
    )
    group.add_argument(
        "--profile",
        metavar="NAME",
        default=default(None),
        help="use this profile of the config file",
    )
    if output_format:
        group.add_argument(
            "--format",
            "-f",
            metavar="FORMAT",
            default=default(None),
            choices=[f.value for f in OutputFormat],
            help="output format: " + ", ".join(f.value for f in OutputFormat) + " (default table)",
        )
    if output_format:
        group.add_argument(
            "-x",
            "--expanded",
            action="store_true",
            default=default(False),
            help="expanded table display: one 'column | value' line per column, records one "
            "after the other (as psql's \\x)",
        )
    group.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        default=default(None),
        help="write results to FILE instead of standard output",
    )
    group.add_argument(
        "--verbose",
        "-v",
        action="store_true",
        default=default(False),
        help="full error details, and a status line per statement on standard error",
    )
    group.add_argument(
        "--no-safe-updates",
        dest="safe_updates",
        action="store_false",
        default=default(True),
        help="allow UPDATE and DELETE without a WHERE clause",
    )
    group.add_argument(
        "--no-local-files",
        dest="local_files",
        action="store_false",
        default=default(True),
        help="refuse statements that read or write local files (read_csv, COPY ... TO, ATTACH)",
    )


def _sub(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    help_text: str,
    description: str,
    epilog: str,
) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        name,
        help=help_text,
        description=description,
        epilog=textwrap.dedent(epilog),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=DESCRIPTION,
        epilog=MAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "-V",
        "--version",
        action=_VersionAction,
        help="print the version of mjquery and exit",
    )
    parser.add_argument(
        "-c",
        "--command",
        metavar="SQL",
        dest="sql",
        help="run these SQL statements (separated by ;) and print the results",
    )
    _add_common(parser, top_level=True)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")

    run = _sub(
        subparsers,
        "run",
        "run a saved .sql query file",
        "Run the statements of a .sql file. Named parameters (:name) are bound from\n"
        "--param, as query parameters: their values are never pasted into the SQL.",
        """\
               examples:
                 mjquery run examples/campaign_performance.sql --demo
                 mjquery run list_members.sql --param list_name=Newsletter --format csv -o members.csv
                 cat report.sql | mjquery run - --demo

               Values are passed as text, which a comparison converts to the type of the
               column it meets (WHERE ID = :id, WHERE Name = :name with 42 both work); a
               whole number after LIMIT or OFFSET is passed as a number. Elsewhere, cast:
               :n::INTEGER + 1.""",
    )
    run.add_argument("file", metavar="FILE", help="the .sql file, or - for standard input")
    run.add_argument(
        "--param",
        "-p",
        metavar="NAME=VALUE",
        action="append",
        default=[],
        help="value of the :NAME parameter (repeat for several)",
    )
    _add_common(run, top_level=False)

    tables = _sub(
        subparsers,
        "tables",
        "list the tables",
        "List the SQL tables and the Mailjet resource behind each.\n"
        "On a terminal the table is wrapped to its width between words (one record per\n"
        "table, as with -x, when the names cannot fit whole); piped, it is printed in full.",
        """\
                  examples:
                    mjquery tables
                    mjquery tables --format markdown""",
    )
    _add_common(tables, top_level=False)

    describe = _sub(
        subparsers,
        "describe",
        "show the columns of a table",
        "Show the columns of a table: type, the filters mjquery pushes to the API,\n"
        "sorting, and whether the column can be written.\n"
        "On a terminal the table is wrapped to its width between words (one record per\n"
        "column, as with -x, when the names cannot fit whole); piped, it is printed in full.",
        """\
                    examples:
                      mjquery describe Contact
                      mjquery describe contactslist --format json""",
    )
    describe.add_argument("table", metavar="TABLE", help="table name or alias (case-insensitive)")
    _add_common(describe, top_level=False)

    export = _sub(
        subparsers,
        "export",
        "export a table or query to a file",
        "Export the rows of a table or a SELECT to a CSV, Parquet or JSON file. The format\n"
        "is --format, or else the extension of the file (.csv, .parquet, .json; also .jsonl\n"
        "and .tsv). A progress line shows on standard error on a terminal or with --verbose.",
        """\
                  examples:
                    mjquery export Contact -o contacts.csv --demo
                    mjquery export "SELECT Email, Name FROM Contact WHERE ContactsList = 7" -o list7.parquet --demo
                    mjquery export List -o lists.out --format json --demo""",
    )
    export.add_argument(
        "source", metavar="TABLE_OR_SELECT", help="a table name or a SELECT statement"
    )
    export.add_argument("file", metavar="FILE", nargs="?", default=None, help=argparse.SUPPRESS)
    export.add_argument(
        "--format",
        "-f",
        metavar="FORMAT",
        choices=EXPORT_FORMATS,
        default=argparse.SUPPRESS,
        help="csv, parquet or json (default: from the extension of -o); also jsonl, tsv",
    )
    _add_common(export, top_level=False, output_format=False)

    import_ = _sub(
        subparsers,
        "import",
        "import rows from a CSV, TSV, JSON or JSON lines file",
        "Insert the rows of a file into a table through the write path (one bulk job\n"
        "per 1,000 contacts for many contacts). Columns match the table's columns by name\n"
        "(case-insensitive) or by --map; other columns are ignored and named. A CSV file's\n"
        "delimiter (, ; tab |) is detected from its header unless --delimiter is given.\n"
        "A row whose key exists already (a contact's Email) is left unchanged and counted\n"
        "as already existing; with --list it is still added to the list; --upsert updates\n"
        "it instead. Rows that are refused (a bad value, a repeated key, the API's answer)\n"
        "do not stop the others: they go to <input>.rejected.<ext> with the original\n"
        "columns, the file's line and an error. The import keeps a journal of what it sent\n"
        "and what the server confirmed; run the same command again (or with --resume) after\n"
        "an interruption and it continues where it stopped. A progress line shows rows\n"
        "submitted and confirmed on standard error, on a terminal or with --verbose (which\n"
        "also prints bulk job IDs). Exit status 3 when some rows were rejected or their\n"
        "outcome is unknown (the others are written); 0 when none.",
        """\
                   examples:
                     mjquery import examples/data/new_contacts.csv --into Contact --demo
                     mjquery import people.csv --into Contact --list Newsletter --map email_address=Email --map "full name=Name"
                     mjquery import people.csv --into Contact --upsert
                     mjquery import templates.jsonl --into Template""",
    )
    import_.add_argument("file", metavar="FILE", help="the file (.csv, .tsv, .json, .jsonl)")
    import_.add_argument(
        "legacy_file", metavar="FILE", nargs="?", default=None, help=argparse.SUPPRESS
    )
    import_.add_argument("--into", metavar="TABLE", help="the table to insert into (e.g. Contact)")
    import_.add_argument(
        "--list",
        metavar="NAME",
        dest="list_name",
        help="Contact only: add the imported contacts (existing ones too) to the list with this name",
    )
    import_.add_argument(
        "--map",
        metavar="FILECOL=COLUMN",
        action="append",
        default=[],
        dest="mapping",
        help=(
            "take COLUMN from the file's column FILECOL (repeat for several); into Contact, "
            "COLUMN may be a contact property (--map years=age)"
        ),
    )
    import_.add_argument(
        "--upsert",
        action="store_true",
        help="update rows whose key exists already, instead of leaving them unchanged",
    )
    import_.add_argument(
        "--delimiter",
        metavar="CHAR",
        help="the CSV delimiter (default: detected from the header; \\t for tab)",
    )
    import_.add_argument(
        "--resume",
        action="store_true",
        help="continue an interrupted import of this file (an error when there is none)",
    )
    _add_common(import_, top_level=False)

    replicate = _sub(
        subparsers,
        "replicate",
        "copy Mailjet tables into a database, incrementally",
        "Copy Mailjet tables into DuckDB, SQLite, PostgreSQL, MySQL/MariaDB or any dlt\n"
        "destination. The first run copies everything and creates the tables; later runs are\n"
        "incremental, each table by the strategy of its schema file (--list shows them).\n"
        "Nothing is ever written to Mailjet. Exit status 0 when every table loaded, 3 when some\n"
        "failed and the others were committed (their state does not move: the next run reads\n"
        "them again), 1 on a fatal error.",
        """\
                   examples:
                     mjquery replicate --demo                                 # every table into ./mailjet.duckdb
                     mjquery replicate --demo --to sqlite:///mailjet.db --tables Contact,List
                     mjquery replicate --to postgresql://me@localhost/crm --dataset mailjet --every 15m
                     mjquery replicate --to mysql://root@127.0.0.1/mailjet --tables Message --full
                     mjquery replicate --list

                   URLs are SQLAlchemy-style: duckdb:///relative.duckdb, sqlite:////absolute/path.db,
                   postgresql://user:password@host:5432/db, mysql://user:password@host:3306/db,
                   file:///dir (Parquet files), or NAME://... for any other dlt destination
                   (bigquery, snowflake, clickhouse, motherduck...). The password is never printed.""",
    )
    replicate.add_argument(
        "--to",
        metavar="URL",
        default=None,
        help="the target database (default duckdb:///mailjet.duckdb in the working directory)",
    )
    replicate.add_argument(
        "--tables",
        metavar="T1,T2",
        default=None,
        help="the tables to copy (default: every table that can be read without a filter)",
    )
    replicate.add_argument(
        "--full",
        action="store_true",
        help="read and write every row again, ignoring watermarks (rows gone from Mailjet are deleted)",
    )
    replicate.add_argument(
        "--replace",
        action="store_true",
        help="with --full: drop and recreate the tables (e.g. after a column changed type)",
    )
    replicate.add_argument(
        "--dry-run",
        action="store_true",
        help="read and write nothing: show per table whether the run is full or incremental and its requests",
    )
    replicate.add_argument(
        "--every",
        metavar="INTERVAL",
        default=None,
        help="keep running, one run per interval (30s, 15m, 1h, 1d); Ctrl-C stops",
    )
    replicate.add_argument(
        "--list",
        action="store_true",
        dest="list_tables",
        help="list every table: replicable or not, and its incremental strategy",
    )
    replicate.add_argument(
        "--keep-names",
        action="store_true",
        help="keep mjquery's table and column names (default: snake_case, e.g. is_excluded_from_campaigns)",
    )
    replicate.add_argument(
        "--dataset",
        metavar="NAME",
        default=None,
        help="schema/dataset for the tables where the database has schemas (default mailjet)",
    )
    _add_common(replicate, top_level=False)

    sync = _sub(
        subparsers,
        "sync",
        "keep a Mailjet object and a database table in step, both ways",
        "Synchronise a Mailjet object (Contact, List, Template, ...) with a table of DuckDB,\n"
        "SQLite, PostgreSQL or MySQL/MariaDB, both ways. A missing table is created and filled\n"
        "from Mailjet; an existing one is linked row by row by the key on the first run. Each\n"
        "run compares both sides with the snapshot of the last run (kept in the same database),\n"
        "so new and changed rows flow each way: new and updated records for objects with an\n"
        "updated timestamp column, new records only for the others (`mjquery describe` says\n"
        "which). Exit status 0 when every change flowed, 3 when Mailjet or a rule refused some\n"
        "(each is listed; they are tried again next run), 1 on a fatal error.",
        """\
                   examples:
                     mjquery sync Contact --with sqlite:///crm.db --table crm_contacts --demo
                     mjquery sync Contact --with postgresql://me@localhost/crm --table public.customers \\
                         --map email_address=Email,full_name=Name --prefer newer
                     mjquery sync List --with mysql://root@127.0.0.1/crm --table lists --deletes
                     mjquery sync Contact --with duckdb:///crm.duckdb --table contacts --dry-run
                     mjquery sync Template --with sqlite:///crm.db --table templates --key Name --every 15m

                   A conflict is a column changed on both sides since the last run: --prefer says
                   who wins (newer: the later of Mailjet's updated column and the table's
                   updated_at column). Deletes flow only with --deletes, and only as the object
                   allows (List: soft delete; Contact: never through the v3 API). The password of
                   the URL is never printed. See docs/sync.md.""",
    )
    sync.add_argument("object", metavar="OBJECT", help="the Mailjet object (table) to synchronise")
    sync.add_argument(
        "--with",
        dest="with_url",
        metavar="URL",
        required=True,
        help="the database: duckdb:///file.duckdb, sqlite:///file.db, postgresql://user@host/db, "
        "mysql://user@host/db",
    )
    sync.add_argument(
        "--table",
        dest="db_table",
        metavar="NAME",
        required=True,
        help="the database table (schema.table where the database has schemas); created if missing",
    )
    sync.add_argument(
        "--key",
        metavar="COLUMN",
        default=None,
        help="the Mailjet column linking rows (default: the object's natural key, e.g. Email, Name)",
    )
    sync.add_argument(
        "--map",
        metavar="DBCOL=Column,...",
        default=None,
        help="database columns holding Mailjet columns of another name (others match by name, "
        "ignoring case and underscores)",
    )
    sync.add_argument(
        "--prefer",
        choices=["mailjet", "database", "newer"],
        default="mailjet",
        help="who wins a conflict (default mailjet)",
    )
    sync.add_argument(
        "--deletes",
        action="store_true",
        help="let deletes flow both ways, as the object allows",
    )
    sync.add_argument(
        "--dry-run",
        action="store_true",
        help="change nothing: print per direction the rows to insert, update and delete, the "
        "conflicts and how they resolve, and the rows that cannot flow",
    )
    sync.add_argument(
        "--every",
        metavar="INTERVAL",
        default=None,
        help="keep running, one run per interval (30s, 15m, 1h, 1d); Ctrl-C stops",
    )
    _add_common(sync, top_level=False)

    config = _sub(
        subparsers,
        "config",
        "manage credentials profiles",
        "Manage the profiles of the config file (keys, base URL, cache and\n"
        "concurrency settings). The file is written with mode 600.",
        """\
                  examples:
                    mjquery config add-profile work        # prompts for the keys; the secret is not echoed
                    mjquery config add-profile eu --base-url https://api.eu.mailjet.com --default
                    mjquery config list
                    mjquery config show                    # where each setting comes from
                    mjquery config path""",
    )
    config_sub = config.add_subparsers(
        dest="config_command", metavar="ACTION", title="actions", required=True
    )
    add = config_sub.add_parser(
        "add-profile",
        help="add or replace a profile (prompts for the secret)",
        description="Add or replace a profile. The API key is asked for unless given; "
        "the secret is always asked for, without echo.",
    )
    add.add_argument("name", metavar="NAME")
    add.add_argument("--api-key", metavar="KEY", help="the public API key (MJ_APIKEY_PUBLIC)")
    add.add_argument(
        "--base-url", metavar="URL", dest="profile_base_url", help="API base URL for this profile"
    )
    add.add_argument(
        "--cache-ttl", metavar="SECONDS", type=float, help="cache lifetime of API responses"
    )
    add.add_argument("--max-concurrency", metavar="N", type=int, help="concurrent API requests")
    add.add_argument(
        "--rate-limit",
        metavar="PER_SECOND",
        type=float,
        dest="rate_limit_per_second",
        help="client-side limit of API requests per second",
    )
    add.add_argument(
        "--default", action="store_true", dest="make_default", help="make it the default profile"
    )
    remove = config_sub.add_parser(
        "remove-profile",
        help="remove a profile",
        description="Remove a profile from the config file.",
    )
    remove.add_argument("name", metavar="NAME")
    listing = config_sub.add_parser(
        "list",
        help="list the profiles (secrets are never shown)",
        description="List the profiles: name, public key prefix, base URL.",
    )
    show = config_sub.add_parser(
        "show",
        help="show every setting and where it comes from (secrets masked)",
        description="Show the settings a connection would use — profile, keys, base URL, cache "
        "and concurrency — and where each comes from: an option, an environment variable, a "
        "profile of the config file, or the default. The secret key is never shown.",
    )
    for sub in (show, listing):
        sub.add_argument(
            "--format",
            "-f",
            metavar="FORMAT",
            default=argparse.SUPPRESS,
            choices=[f.value for f in OutputFormat],
            help="output format (default table)",
        )
    config_sub.add_parser(
        "path",
        help="print the path of the config file",
        description="Print the path of the config file.",
    )

    completion = _sub(
        subparsers,
        "completion",
        "print a shell completion script (bash, zsh, fish)",
        "Print a script that completes mjquery's commands, options, formats and table names\n"
        "in your shell.",
        """\
                      examples:
                        eval "$(mjquery completion bash)"           # bash, this shell
                        mjquery completion bash > ~/.local/share/bash-completion/completions/mjquery
                        source <(mjquery completion zsh)            # zsh
                        mjquery completion fish > ~/.config/fish/completions/mjquery.fish""",
    )
    completion.add_argument(
        "shell", metavar="SHELL", choices=("bash", "zsh", "fish"), help="bash, zsh or fish"
    )

    subparsers.add_parser(
        "sandbox",
        help="run the local Mailjet-compatible sandbox server",
        description="Run the sandbox server; see `mjquery sandbox --help`.",
        add_help=False,
    )
    return parser


class _VersionAction(argparse.Action):
    """``--version``: reads the installed metadata only when asked (reading it on every start
    costs a one-line command tens of milliseconds)."""

    def __init__(self, option_strings: list[str], dest: str, help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(self, parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        parser._print_message(f"{parser.prog} {package_version()}\n", sys.stdout)
        parser.exit()


def package_version() -> str:
    """The version of the installed distribution, as pip and the wheel's metadata say."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mjquery")
    except PackageNotFoundError:  # run from a source tree that was never installed
        import mjquery

        return mjquery.__version__
