"""``mjquery completion bash|zsh|fish``: shell completion scripts, generated from the parser.

The commands, their options and the values options take (formats, table names, files) are read
from the same argparse parser ``--help`` prints, so the scripts cannot fall behind a new
option. Table names come from the schema files. Nothing in a script runs mjquery while
completing: completion stays instant and never touches the network.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from dataclasses import dataclass

SHELLS = ("bash", "zsh", "fish")

#: Metavars whose values are files or table names.
_FILE_METAVARS = {"FILE"}
_TABLE_METAVARS = {"TABLE", "TABLE_OR_SELECT"}


@dataclass(frozen=True)
class Option:
    """One option of a command: its spellings, help, and what its value is."""

    flags: tuple[str, ...]
    help: str
    takes_value: bool
    choices: tuple[str, ...] = ()
    files: bool = False
    tables: bool = False


@dataclass(frozen=True)
class Command:
    """One command (``run``, ``config show``): its options and what its arguments are."""

    words: tuple[str, ...]  # ("config", "show")
    help: str
    options: tuple[Option, ...]
    subcommands: tuple[str, ...] = ()
    positional_files: bool = False
    positional_tables: bool = False
    positional_choices: tuple[str, ...] = ()


def _option(action: argparse.Action) -> Option | None:
    if not action.option_strings or action.help == argparse.SUPPRESS:
        return None
    takes_value = action.nargs != 0
    metavar = str(action.metavar or "")
    return Option(
        flags=tuple(action.option_strings),
        help=" ".join((action.help or "").split()),
        takes_value=takes_value,
        choices=tuple(str(c) for c in action.choices or ()),
        files=takes_value and metavar in _FILE_METAVARS,
        tables=takes_value and metavar in _TABLE_METAVARS,
    )


def commands(parser: argparse.ArgumentParser) -> list[Command]:
    """The top level (``words == ()``) and every command and sub-command of ``parser``."""
    found: list[Command] = []

    def walk(p: argparse.ArgumentParser, words: tuple[str, ...], help_text: str) -> None:
        options = tuple(o for a in p._actions if (o := _option(a)) is not None)
        positionals = [
            a
            for a in p._actions
            if not a.option_strings
            and not isinstance(a, argparse._SubParsersAction)
            and a.help != argparse.SUPPRESS
        ]
        subs: dict[str, tuple[argparse.ArgumentParser, str]] = {}
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                helps = {c.dest: c.help or "" for c in action._choices_actions}
                for name, sub in action.choices.items():
                    subs[name] = (sub, helps.get(name, ""))
        found.append(
            Command(
                words=words,
                help=help_text,
                options=options,
                subcommands=tuple(subs),
                positional_files=any(str(a.metavar) in _FILE_METAVARS for a in positionals),
                positional_tables=any(str(a.metavar) in _TABLE_METAVARS for a in positionals),
                positional_choices=tuple(str(c) for a in positionals for c in a.choices or ()),
            )
        )
        for name, (sub, sub_help) in subs.items():
            walk(sub, (*words, name), sub_help)

    walk(parser, (), "")
    return found


def table_names() -> tuple[str, ...]:
    from mjquery.schema.catalog import load_catalog

    return tuple(sorted(o.name for o in load_catalog().objects))


def script(shell: str, parser: argparse.ArgumentParser) -> str:
    """The completion script for ``shell`` (bash, zsh or fish)."""
    found = commands(parser)
    tables = table_names()
    if shell == "bash":
        return _bash(found, tables)
    if shell == "zsh":
        return _zsh(found, tables)
    if shell == "fish":
        return _fish(found, tables)
    raise ValueError(f"no completion for {shell!r}: choose {', '.join(SHELLS)}")


# -- bash ------------------------------------------------------------------------------------


def _words(items: Iterator[str] | tuple[str, ...] | list[str]) -> str:
    return " ".join(items)


def _bash(found: list[Command], tables: tuple[str, ...]) -> str:
    value_flags = sorted({f for c in found for o in c.options if o.takes_value for f in o.flags})
    lines = [
        "# bash completion for mjquery. Load it in this shell with",
        '#   eval "$(mjquery completion bash)"',
        "# or save it for every shell:",
        "#   mjquery completion bash > ~/.local/share/bash-completion/completions/mjquery",
        "_mjquery() {",
        '    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"',
        f'    local tables="{_words(tables)}"',
        f'    local value_options=" {_words(value_flags)} "',
        '    local path="" word i',
        "    # the command words typed so far (mjquery config show ...), skipping options and",
        "    # the values of the options that take one",
        "    for ((i = 1; i < COMP_CWORD; i++)); do",
        '        word="${COMP_WORDS[i]}"',
        '        if [[ "$word" == -* ]]; then',
        '            [[ "$value_options" == *" $word "* ]] && ((i++))',
        "            continue",
        "        fi",
        '        case "$path:$word" in',
    ]
    for command in found:
        for sub in command.subcommands:
            key = " ".join(command.words)
            lines.append(f'            "{key}:{sub}") path="{(key + " " + sub).strip()}" ;;')
    lines += [
        "        esac",
        "    done",
        '    case "$prev" in',
    ]
    seen: set[str] = set()
    for command in found:
        for option in command.options:
            if not option.takes_value or option.flags[0] in seen:
                continue
            seen.update(option.flags)
            pattern = "|".join(option.flags)
            if option.choices:
                action = f'COMPREPLY=($(compgen -W "{_words(option.choices)}" -- "$cur")); return'
            elif option.files:
                action = 'COMPREPLY=($(compgen -f -- "$cur")); return'
            elif option.tables:
                action = 'COMPREPLY=($(compgen -W "$tables" -- "$cur")); return'
            else:
                action = "return"  # a value the user types
            lines.append(f"        {pattern}) {action} ;;")
    lines += ["    esac", '    case "$path" in']
    for command in found:
        key = " ".join(command.words)
        flags = _words(f for o in command.options for f in o.flags)
        if command.subcommands:
            values = f'compgen -W "{_words(command.subcommands)}" -- "$cur"'
        elif command.positional_files:
            values = 'compgen -f -- "$cur"'
        elif command.positional_tables:
            values = 'compgen -W "$tables" -- "$cur"'
        elif command.positional_choices:
            values = f'compgen -W "{_words(command.positional_choices)}" -- "$cur"'
        else:
            values = ""
        options = f'COMPREPLY=($(compgen -W "{flags}" -- "$cur"))'
        if values:
            lines.append(
                f'        "{key}") if [[ "$cur" == -* ]]; then {options}; '
                f"else COMPREPLY=($({values})); fi ;;"
            )
        else:
            lines.append(f'        "{key}") {options} ;;')
    lines += [
        "    esac",
        "}",
        "complete -o filenames -F _mjquery mjquery",
        "",
    ]
    return "\n".join(lines)


# -- zsh -------------------------------------------------------------------------------------


def _zsh_text(text: str) -> str:
    """Help text inside a zsh ``_arguments`` spec: brackets, colons and quotes escaped."""
    return (
        text.replace("\\", "\\\\")
        .replace("'", "'\\''")
        .replace("[", "\\[")
        .replace("]", "\\]")
        .replace(":", "\\:")
    )


def _zsh_spec(option: Option) -> str:
    help_text = _zsh_text(option.help)
    value = ""
    if option.takes_value:
        if option.choices:
            value = f":value:({' '.join(option.choices)})"
        elif option.files:
            value = ":file:_files"
        elif option.tables:
            value = ":table:($_mjquery_tables)"
        else:
            value = ":value: "
    if len(option.flags) == 1:
        return f"'{option.flags[0]}[{help_text}]{value}'"
    exclusive = " ".join(option.flags)
    flags = ",".join(option.flags)
    return f"'({exclusive})'{{{flags}}}'[{help_text}]{value}'"


def _zsh(found: list[Command], tables: tuple[str, ...]) -> str:
    lines = [
        "#compdef mjquery",
        "# zsh completion for mjquery. Load it in this shell with",
        "#   source <(mjquery completion zsh)",
        "# or save it as _mjquery in a directory of $fpath:",
        "#   mjquery completion zsh > ~/.zfunc/_mjquery   (with fpath+=(~/.zfunc) in ~/.zshrc)",
        "",
        f"_mjquery_tables=({_words(tables)})",
        "",
    ]
    for command in found:
        name = "_mjquery" + "".join(f"_{w.replace('-', '_')}" for w in command.words)
        specs = [_zsh_spec(o) for o in command.options]
        lines.append(f"{name}() {{")
        if command.subcommands:
            lines.append("    local -a subcommands")
            lines.append("    subcommands=(")
            for sub in command.subcommands:
                sub_help = next((c.help for c in found if c.words == (*command.words, sub)), "")
                lines.append(f"        '{sub}:{_zsh_text(sub_help)}'")
            lines.append("    )")
            lines.append("    local curcontext=$curcontext state line")
            lines.append("    _arguments -C \\")
            for spec in specs:
                lines.append(f"        {spec} \\")
            lines.append("        '1: :->command' '*:: :->argument'")
            lines.append("    case $state in")
            lines.append("        command) _describe -t commands 'command' subcommands ;;")
            lines.append("        argument)")
            lines.append("            case $words[1] in")
            for sub in command.subcommands:
                sub_name = name + "_" + sub.replace("-", "_")
                lines.append(f"                {sub}) {sub_name} ;;")
            lines.append("            esac ;;")
            lines.append("    esac")
        else:
            if command.positional_files:
                positional = "'*:file:_files'"
            elif command.positional_tables:
                positional = "'*:table:($_mjquery_tables)'"
            elif command.positional_choices:
                positional = f"'1:value:({' '.join(command.positional_choices)})'"
            else:
                positional = ""
            lines.append("    _arguments \\")
            for spec in specs:
                lines.append(f"        {spec} \\")
            lines.append(f"        {positional}" if positional else "        ''")
        lines.append("}")
        lines.append("")
    lines += [
        "if [[ $zsh_eval_context[-1] == loadautofunc ]]; then",
        '    _mjquery "$@"',
        "else",
        "    compdef _mjquery mjquery",
        "fi",
        "",
    ]
    return "\n".join(lines)


# -- fish ------------------------------------------------------------------------------------


def _fish_text(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _fish(found: list[Command], tables: tuple[str, ...]) -> str:
    lines = [
        "# fish completion for mjquery. Load it in this shell with",
        "#   mjquery completion fish | source",
        "# or save it for every shell:",
        "#   mjquery completion fish > ~/.config/fish/completions/mjquery.fish",
        "complete -c mjquery -f",
    ]
    for command in found:
        if not command.words:
            condition = "__fish_use_subcommand"
        else:
            condition = "; and ".join(f"__fish_seen_subcommand_from {w}" for w in command.words)
        for sub in command.subcommands:
            sub_help = next((c.help for c in found if c.words == (*command.words, sub)), "")
            if command.words:
                already = " ".join(command.subcommands)
                sub_condition = f"{condition}; and not __fish_seen_subcommand_from {already}"
            else:
                sub_condition = condition
            lines.append(
                f"complete -c mjquery -n '{sub_condition}' -a {sub} -d {_fish_text(sub_help)}"
            )
        for option in command.options:
            parts = ["complete -c mjquery"]
            if command.words:
                parts.append(f"-n '{condition}'")
            for flag in option.flags:
                if flag.startswith("--"):
                    parts.append(f"-l {flag[2:]}")
                else:
                    parts.append(f"-s {flag[1:]}")
            if option.takes_value:
                if option.choices:
                    parts.append(f"-x -a {_fish_text(' '.join(option.choices))}")
                elif option.files:
                    parts.append("-r -F")
                elif option.tables:
                    parts.append(f"-x -a {_fish_text(' '.join(tables))}")
                else:
                    parts.append("-x")
            parts.append(f"-d {_fish_text(option.help)}")
            lines.append(" ".join(parts))
        if command.words and not command.subcommands:
            if command.positional_files:
                lines.append(f"complete -c mjquery -n '{condition}' -F")
            elif command.positional_tables or command.positional_choices:
                words = tables if command.positional_tables else command.positional_choices
                lines.append(
                    f"complete -c mjquery -n '{condition}' -a {_fish_text(' '.join(words))}"
                )
    lines.append("")
    return "\n".join(lines)
