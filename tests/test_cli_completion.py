"""``mjquery completion bash|zsh|fish``: the scripts complete commands, options, formats and
table names, and are checked by the shells themselves."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest

from mjquery.cli.main import main


def completion_script(shell: str, tmp_path: Path) -> Path:
    out = io.StringIO()
    assert main(["completion", shell], stdout=out, stderr=io.StringIO()) == 0
    path = tmp_path / f"mjquery.{shell}"
    path.write_text(out.getvalue())
    return path


def bash_completions(script: Path, *words: str) -> list[str]:
    """What bash offers for the command line ``words`` (the last one being completed)."""
    quoted = " ".join(f"'{w}'" for w in words)
    program = (
        f"source {script}\n"
        f"COMP_WORDS=({quoted}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); _mjquery\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    done = subprocess.run(["bash", "-c", program], capture_output=True, text=True, check=True)
    return [line for line in done.stdout.splitlines() if line]


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (("mjquery", "de"), ["describe"]),
        (("mjquery", "describe", "ListS"), ["ListStatistics"]),
        (("mjquery", "--profile", "work", "describe", "ListV"), ["ListVerification"]),
        (("mjquery", "-f", "js"), ["json", "jsonl"]),
        (("mjquery", "config", "sh"), ["show"]),
        (("mjquery", "completion", ""), ["bash", "zsh", "fish"]),
        (("mjquery", "import", "x.csv", "--into", "Templ"), ["Template", "TemplateDetailContent"]),
        (("mjquery", "run", "--pa"), ["--param"]),
    ],
)
def test_bash_completes_commands_options_formats_and_tables(
    words: tuple[str, ...], expected: list[str], tmp_path: Path
) -> None:
    assert bash_completions(completion_script("bash", tmp_path), *words) == expected


def test_bash_completes_file_names_for_run(tmp_path: Path) -> None:
    (tmp_path / "report.sql").write_text("SELECT 1;")
    script = completion_script("bash", tmp_path)
    program = (
        f"cd {tmp_path}; source {script}\n"
        "COMP_WORDS=(mjquery run rep); COMP_CWORD=2; _mjquery\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    done = subprocess.run(["bash", "-c", program], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["report.sql"]


def test_fish_completes_the_same_things(tmp_path: Path) -> None:
    if shutil.which("fish") is None:
        pytest.skip("fish is not installed on this machine")
    script = completion_script("fish", tmp_path)
    program = (
        f"source {script}; complete -C 'mjquery desc'; complete -C 'mjquery describe ListS';"
        " complete -C 'mjquery -f js'"
    )
    done = subprocess.run(["fish", "-c", program], capture_output=True, text=True, check=True)
    offered = [line.split("\t")[0] for line in done.stdout.splitlines()]
    assert offered == ["describe", "ListStatistics", "json", "jsonl"]


def test_zsh_loads_the_script_and_registers_the_completion(tmp_path: Path) -> None:
    if shutil.which("zsh") is None:
        pytest.skip("zsh is not installed on this machine")
    script = completion_script("zsh", tmp_path)
    assert script.read_text().startswith("#compdef mjquery\n")
    program = f"autoload -U compinit; compinit -u -d {tmp_path}/zcompdump; source {script}; print -- $_comps[mjquery]"
    done = subprocess.run(["zsh", "-f", "-c", program], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "_mjquery"
    assert "'(--format -f)'{--format,-f}'[output format" in script.read_text()


def test_an_unknown_shell_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", "tcsh"]) == 2
    assert "invalid choice: 'tcsh'" in capsys.readouterr().err
