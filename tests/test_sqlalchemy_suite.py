"""SQLAlchemy's own dialect compliance suite, run against mjquery as part of ``pytest``.

The suite is wired as SQLAlchemy prescribes for third-party dialects (tests/sqlalchemy_suite/:
setup.cfg, conftest.py loading its pytest plugin, test_suite.py importing the suite, a
requirements class). That plugin takes over the pytest session it runs in (it keeps only test
classes), so it runs here as its own pytest process; this test reads its JUnit report and holds
it to: no failure or error, every suite class run except the documented exclusions, and the
documentation listing exactly what was excluded or skipped whole.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SUITE = Path(__file__).resolve().parent / "sqlalchemy_suite"
DOCS = Path(__file__).resolve().parent.parent / "docs" / "sqlalchemy.md"


@dataclass
class ClassOutcome:
    """What happened to the tests of one suite class."""

    passed: int = 0
    skipped: int = 0
    failed: list[str] = field(default_factory=list)
    skip_reasons: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class SuiteRun:
    returncode: int
    output: str
    classes: dict[str, ClassOutcome]


def _class_name(classname: str) -> str:
    # "test_suite.ComponentReflectionTest_mjquery+mjquery_0_1_0" -> "ComponentReflectionTest"
    return re.sub(r"_mjquery\+mjquery.*$", "", classname.rsplit(".", 1)[-1])


@pytest.fixture(scope="module")
def suite_run(tmp_path_factory: pytest.TempPathFactory) -> SuiteRun:
    report = tmp_path_factory.mktemp("sqlalchemy-suite") / "junit.xml"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", f"--junitxml={report}", "-o", "junit_family=xunit2"],
        cwd=SUITE,
        capture_output=True,
        text=True,
        env=env,
        timeout=1500,
        check=False,
    )
    classes: dict[str, ClassOutcome] = defaultdict(ClassOutcome)
    if report.exists():
        for case in ElementTree.parse(report).iter("testcase"):
            outcome = classes[_class_name(case.get("classname", ""))]
            problems = case.findall("failure") + case.findall("error")
            skipped = case.find("skipped")
            if problems:
                outcome.failed.append(f"{case.get('name')}: {problems[0].get('message', '')}")
            elif skipped is not None:
                outcome.skipped += 1
                outcome.skip_reasons.add(skipped.get("message", ""))
            else:
                outcome.passed += 1
    return SuiteRun(done.returncode, done.stdout[-6000:] + done.stderr[-3000:], dict(classes))


def _suite_classes() -> set[str]:
    """Every test class of SQLAlchemy's suite (classes with test methods in its modules)."""
    import importlib
    import pkgutil

    from sqlalchemy.testing import fixtures, suite

    found = set()
    for info in pkgutil.iter_modules(suite.__path__):
        module = importlib.import_module(f"{suite.__name__}.{info.name}")
        for name, value in vars(module).items():
            if (
                isinstance(value, type)
                and issubclass(value, fixtures.TestBase)
                and value.__module__ == module.__name__
                and not name.startswith("_")
                and any(attr.startswith("test_") for attr in dir(value))
            ):
                found.add(name)
    return found


def _declared_exclusions() -> dict[str, str]:
    """``EXCLUDED`` of tests/sqlalchemy_suite/test_suite.py."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("mjquery_sa_suite", SUITE / "test_suite.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    excluded: dict[str, str] = module.EXCLUDED
    return excluded


def test_the_suite_passes(suite_run: SuiteRun) -> None:
    failures = {name: o.failed for name, o in suite_run.classes.items() if o.failed}
    assert not failures, failures
    assert suite_run.returncode == 0, suite_run.output
    assert sum(o.passed for o in suite_run.classes.values()) > 850


def test_every_suite_class_ran_or_is_documented(suite_run: SuiteRun) -> None:
    """A class with no passing test was excluded, switched off by a requirement or skipped
    whole: docs/sqlalchemy.md lists exactly those, each with its reason."""
    ran = {name for name, outcome in suite_run.classes.items() if outcome.passed}
    not_run = _suite_classes() - ran
    docs = DOCS.read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `(\w+)` \|", docs, re.MULTILINE))
    assert listed == not_run
    assert not ran & set(_declared_exclusions())
    assert f"{len(ran)} of the suite's {len(_suite_classes())} test classes" in docs
    passed = sum(o.passed for o in suite_run.classes.values())
    skipped = sum(o.skipped for o in suite_run.classes.values())
    figures = f"{passed} tests pass, {skipped} are\nskipped, none fail"
    assert figures in docs, f"docs/sqlalchemy.md should say: {figures!r}"
