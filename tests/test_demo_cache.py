"""The demo account's cache on disk: reused, keyed by seed and scale, rebuilt when damaged,
safe with several processes starting at once, and never in the way when it cannot be written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import mjquery
from mjquery.sandbox import Sandbox
from mjquery.sandbox.demo import build_demo_account
from mjquery.sandbox.demo import cache as cache_module
from mjquery.sandbox.demo.cache import demo_account_path, load_demo_account

SCALE = 0.05  # 100 contacts, 1,000 messages: quick to build
ROOT = Path(mjquery.__file__).resolve().parent.parent


def rows(data: Any, resource: str) -> list[dict[str, Any]]:
    return list(data.resources[resource])


def cache_files(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache" / "mjquery").glob("demo-*.pickle"))


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path


def no_building(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(**_: object) -> None:
        pytest.fail("the demo account was built although it was cached")

    monkeypatch.setattr(cache_module, "build_demo_account", fail)


def test_the_second_load_reads_the_file_and_gives_the_same_account(
    cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = load_demo_account(seed=7, scale=SCALE)
    assert [p.name for p in cache_files(cache_home)] == [demo_account_path(7, SCALE).name]

    no_building(monkeypatch)
    loaded = load_demo_account(seed=7, scale=SCALE)
    assert loaded is not built
    for resource in ("contact", "listrecipient", "campaign", "message", "contactstatistics"):
        assert rows(loaded, resource) == rows(built, resource)
    assert loaded.message_history(rows(built, "message")[0]["ID"]) == built.message_history(
        rows(built, "message")[0]["ID"]
    )


def test_each_load_is_a_fresh_copy(cache_home: Path) -> None:
    load_demo_account(seed=7, scale=SCALE)
    first = load_demo_account(seed=7, scale=SCALE)
    first.resources["contact"][0]["Name"] = "changed by a write"  # type: ignore[index]
    second = load_demo_account(seed=7, scale=SCALE)
    assert second.resources["contact"][0]["Name"] != "changed by a write"


def test_seed_and_scale_each_have_their_own_file(cache_home: Path) -> None:
    a = load_demo_account(seed=7, scale=SCALE)
    b = load_demo_account(seed=8, scale=SCALE)
    c = load_demo_account(seed=7, scale=SCALE * 2)
    assert len(cache_files(cache_home)) == 3
    assert rows(a, "contact") != rows(b, "contact")
    assert len(rows(c, "contact")) == 2 * len(rows(a, "contact"))
    assert rows(load_demo_account(seed=8, scale=SCALE), "contact") == rows(b, "contact")


@pytest.mark.parametrize(
    "damage",
    [
        lambda path: path.write_bytes(path.read_bytes()[: path.stat().st_size // 2]),
        lambda path: path.write_bytes(b"not a pickle at all"),
        lambda path: path.write_bytes(b""),
    ],
    ids=["truncated", "garbage", "empty"],
)
def test_a_damaged_file_is_rebuilt_and_written_again(cache_home: Path, damage: Any) -> None:
    expected = rows(build_demo_account(seed=7, scale=SCALE), "contact")
    load_demo_account(seed=7, scale=SCALE)
    path = demo_account_path(7, SCALE)
    damage(path)
    assert rows(load_demo_account(seed=7, scale=SCALE), "contact") == expected
    good_size = path.stat().st_size
    assert good_size > 1000
    assert rows(load_demo_account(seed=7, scale=SCALE), "contact") == expected


def test_a_file_for_another_seed_under_this_name_is_not_used(cache_home: Path) -> None:
    load_demo_account(seed=8, scale=SCALE)
    demo_account_path(8, SCALE).rename(demo_account_path(7, SCALE))
    expected = rows(build_demo_account(seed=7, scale=SCALE), "contact")
    assert rows(load_demo_account(seed=7, scale=SCALE), "contact") == expected


def test_files_of_an_older_version_are_removed(
    cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_demo_account(seed=7, scale=SCALE)
    older = cache_files(cache_home)
    monkeypatch.setattr(cache_module, "_FORMAT", cache_module._FORMAT + 1)  # new code
    load_demo_account(seed=7, scale=SCALE)
    now = cache_files(cache_home)
    assert len(now) == 1 and now != older


def test_an_unwritable_cache_folder_only_costs_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would go")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    expected = rows(build_demo_account(seed=7, scale=SCALE), "contact")
    assert rows(load_demo_account(seed=7, scale=SCALE), "contact") == expected
    assert blocked.read_text() == "a file where the cache folder would go"


def test_the_sandbox_serves_the_cached_account(
    cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_demo_account(seed=7, scale=SCALE)
    no_building(monkeypatch)
    with mjquery.connect(sandbox=Sandbox(seed=7, scale=SCALE)) as conn:
        cur = conn.cursor()
        cur.execute("SELECT COUNT(*) FROM Contact")
        assert cur.fetchall() == [(100,)]


def test_processes_starting_together_all_answer_and_leave_one_whole_file(tmp_path: Path) -> None:
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"), PYTHONPATH=str(ROOT))
    script = (
        "from mjquery.sandbox.demo.cache import load_demo_account\n"
        f"data = load_demo_account(seed=11, scale={SCALE})\n"
        "print(len(data.resources['contact']))\n"
    )
    children = [
        subprocess.Popen(
            [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
        )
        for _ in range(4)
    ]
    outputs = [child.communicate(timeout=120) for child in children]
    assert [child.returncode for child in children] == [0, 0, 0, 0], outputs
    assert [out.decode().strip() for out, _ in outputs] == ["100"] * 4
    files = list((tmp_path / "cache" / "mjquery").iterdir())
    assert len(files) == 1 and files[0].name.startswith("demo-")  # no temporary file left
    again = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, env=env, timeout=120, check=True
    )
    assert again.stdout.decode().strip() == "100"
