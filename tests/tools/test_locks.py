"""The locks in locks/ against the requirement files people edit (tools/locks.py).

A lock that disagrees with its requirement file means a fresh install gets something nobody tested, so these
checks fail before a newcomer meets it; tools/make.py refuses to install from a stale lock for the same reason.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.support.tools import REPO, load_tool

locks = load_tool("locks")


def test_every_lock_was_made_from_the_requirement_files_as_they_are() -> None:
    assert locks.stale() == [], "обновите замки: python tools/make.py lock"


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    for path in [*REPO.glob("requirements*.txt"), *REPO.glob("locks/*.txt")]:
        target = tmp_path / path.relative_to(REPO)
        target.parent.mkdir(exist_ok=True)
        shutil.copy2(path, target)
    return tmp_path


def test_a_changed_requirement_makes_its_locks_stale_but_a_comment_does_not(copy: Path) -> None:
    requirements = copy / "requirements-dev.txt"
    requirements.write_text(requirements.read_text(encoding="utf-8") + "# a note\n\n", encoding="utf-8")
    assert locks.stale(copy) == []
    requirements.write_text(requirements.read_text(encoding="utf-8").replace("pytest==", "pytest>="), encoding="utf-8")
    problems = locks.stale(copy)
    assert {"dev", "speakers", "openai-whisper"} == {re.search(r"locks/([\w-]+)\.txt", p).group(1) for p in problems}
    torch = copy / "requirements-torch.txt"  # included by the speakers and openai-whisper files
    torch.write_text(torch.read_text(encoding="utf-8").replace("sympy>=", "sympy>"), encoding="utf-8")
    assert {"dev", "speakers", "openai-whisper"} == {re.search(r"locks/([\w-]+)\.txt", p).group(1)
                                                    for p in locks.stale(copy)}
    (copy / "locks" / "labelstudio.txt").unlink()
    assert any("labelstudio.txt" in p for p in locks.stale(copy))


def pins_of(name: str) -> dict[str, set[str]]:
    return locks.pinned(locks.BY_NAME[name].path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("lock", locks.ENVIRONMENTS, ids=lambda lock: lock.name)
def test_every_direct_pin_is_in_the_lock_at_its_version(lock) -> None:
    pins = pins_of(lock.name)
    for name in locks.with_includes(lock.inputs):
        for line in locks.requirement_lines((REPO / name).read_text(encoding="utf-8")):
            match = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^ ;]+)", line)
            if match and locks.normalize(match.group(1)) not in locks.EXCLUDED:
                assert match.group(2) in pins.get(locks.normalize(match.group(1)), set()), (lock.name, line)


@pytest.mark.parametrize("lock", locks.ENVIRONMENTS, ids=lambda lock: lock.name)
def test_every_package_is_hashed_and_torch_comes_by_version_alone(lock) -> None:
    text = lock.path.read_text(encoding="utf-8")
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 1)[1])
    assert len(entries) > 20
    for entry in entries:
        assert "--hash=sha256:" in entry, entry.splitlines()[0]
    assert not set(locks.EXCLUDED) & set(pins_of(lock.name))
    assert re.fullmatch(r"torch==\d+\.\d+\.\d+", locks.torch_requirement())


def test_the_toolkit_locks_agree_on_every_version_they_share() -> None:
    toolkit = [pins_of(lock.name) for lock in locks.ENVIRONMENTS if lock.joint]
    for pins in toolkit[1:]:
        for name in set(pins) & set(toolkit[0]):
            assert pins[name] == toolkit[0][name], name


def test_label_studio_keeps_the_sentry_sdk_it_runs_with() -> None:
    """sentry-sdk 3.0 stops Label Studio 1.23.2 ("Unknown option 'send_default_pii'"): the lock holds 2.x."""
    (version,) = pins_of("labelstudio")["sentry-sdk"]
    assert version.startswith("2.")
    assert pins_of("labelstudio")["label-studio"] == {"1.23.2"}


def test_python_3_10_gets_releases_that_still_support_it() -> None:
    """krippendorff 0.9 and import-linter 2.16 need Python 3.11: 3.10 takes the last release that installs."""
    dev = locks.BY_NAME["dev"].path.read_text(encoding="utf-8")
    for name in ("krippendorff", "import-linter"):
        markers = re.findall(rf"^{name}==\S+ ; (.*?) \\", dev, re.MULTILINE)
        assert any("< '3.11'" in marker for marker in markers), (name, markers)
