"""Writing files and folders so that a crash never leaves half of one behind.

Every output of every stage goes through these helpers: the content is written to a
temporary sibling (its name starts with :data:`layout.TMP_PREFIX`) and renamed into place,
which is atomic on one file system. A reader therefore sees the old version or the new
one, never a mixture.

Text files a user edits by hand (labeled.csv re-saved by Excel, a .env from Notepad) are
read here too, in whichever encoding Windows programs save them.
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pedpatterns.errors import UserError, os_error_reason
from pedpatterns.layout import (
    HOST_TAG,
    LOCKS,
    TMP_PREFIX,
    TOP_FOLDERS,
    fit_name,
    is_temp_name,
    temp_elsewhere,
    temp_owner,
)


def _file_in_the_way(path: Path) -> UserError | None:
    """The error for a file standing where ``path`` or one of its parents must be a folder."""
    for candidate in (path, *path.parents):
        if candidate.exists() or candidate.is_symlink():
            if candidate.is_dir():
                return None
            return blocked_by_file(candidate, path)
    return None


def blocked_by_file(blocker: Path, wanted: Path | None = None) -> UserError:
    """The error for the file ``blocker`` standing where the folder ``wanted`` (or a parent of it) must be."""
    wanted = wanted or blocker
    where = "на её месте лежит файл с тем же именем" if wanted == blocker else f"«{blocker}» — это файл, а не папка"
    return UserError(
        f"Не удалось создать папку «{wanted}»: {where}. "
        "Переименуйте или удалите этот файл (или укажите другую папку проекта в --root) и запустите команду снова."
    )


def blocked_by_folder(path: Path) -> UserError:
    return UserError(
        f"«{path}» — это папка, а на этом месте должен быть файл. "
        "Переименуйте или удалите эту папку и запустите команду снова."
    )


def check_file_target(path: Path) -> None:
    """Before long work whose result is the file ``path``: its place must be free for a file."""
    path = Path(path)
    if path.is_dir() and not path.is_symlink():
        raise blocked_by_folder(path)
    ensure_dir(path.parent)


def ensure_dir(path: Path) -> Path:
    """Create ``path`` (and parents); a folder that cannot be written is a user error."""
    path = Path(path)
    blocked = _file_in_the_way(path)
    if blocked:
        raise blocked
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        what, advice = os_error_reason(exc)
        raise UserError(f"Не удалось создать папку «{exc.filename or path}»: {what}. {advice}") from None
    if not os.access(path, os.W_OK):
        what, advice = os_error_reason(OSError(errno.EROFS if _read_only_disk(path) else errno.EACCES, ""))
        raise UserError(f"Нет права записи в папку «{path}»: {what}. {advice}")
    return path


def _read_only_disk(path: Path) -> bool:
    """The folder is on a disk mounted read-only (no file mode would help)."""
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except (AttributeError, OSError):  # no statvfs on Windows
        return False


def temp_prefix(name: str) -> str:
    """The prefix of this process's temporaries for ``name``: marked, owned, and short enough."""
    return f"{TMP_PREFIX}{os.getpid()}@{HOST_TAG}-{fit_name(name, 100)}."


def temp_dir(parent: Path, name: str) -> Path:
    """A new empty working folder of this process inside ``parent`` (removed by the caller)."""
    ensure_dir(parent)
    return Path(tempfile.mkdtemp(prefix=temp_prefix(name), dir=parent))


@contextlib.contextmanager
def naming(path: Path) -> Iterator[None]:
    """An OSError raised inside names ``path`` when it named nothing (a full disk on write does not)."""
    try:
        yield
    except OSError as exc:
        if exc.filename is None:
            exc.filename = str(path)
        raise


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target``.

    Works for a file or a folder: the caller creates whatever it likes at the yielded
    path. On any exception (Ctrl-C and a full disk included) the temporary is removed and
    ``target`` stays as it was.
    """
    target = Path(target)
    ensure_dir(target.parent)
    fd, tmp_name = tempfile.mkstemp(prefix=temp_prefix(target.name), dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()
    try:
        with naming(target):
            yield tmp
            replace(tmp, target)
    finally:
        remove(tmp)


def replace(src: Path, target: Path) -> None:
    """Move ``src`` onto ``target``; an existing folder at ``target`` is swapped out first.

    A folder never replaces a file, nor a file a folder: that is something else of the
    user's standing where the output goes, and it is named instead of being lost.
    """
    if src.is_dir() and target.exists() and not target.is_dir():
        raise blocked_by_file(target)
    if target.is_dir() and not target.is_symlink():
        if not src.is_dir():
            raise blocked_by_folder(target)
        old = target.with_name(f"{temp_prefix(target.name)}old")
        remove(old)
        os.replace(target, old)
        os.replace(src, target)
        remove(old)
    else:
        os.replace(src, target)


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def write_text(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_bytes(path: Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_json(path: Path, data: Any) -> None:
    write_text(path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    write_text(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


def read_jsonl(path: Path, remedy: str) -> list[dict[str, Any]]:
    """Rows of a JSON Lines file we wrote; a damaged line is a user error that ends with ``remedy``."""
    rows = []
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise UserError(f"Файл «{path}» повреждён (не текст в UTF-8). {remedy}") from None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except (ValueError, RecursionError):  # not JSON, nested too deep, a number too long
            row = None
        if not isinstance(row, dict):
            raise UserError(f"Файл «{path}» повреждён (строка {number}). {remedy}")
        rows.append(row)
    return rows


def read_user_text(path: Path) -> str:
    """A hand-edited file's text: UTF-8 (with or without BOM), UTF-16 ("Unicode" in Excel, Notepad) or cp1251."""
    data = Path(path).read_bytes()
    encodings = ("utf-16",) if data.startswith((b"\xff\xfe", b"\xfe\xff")) else ("utf-8-sig", "cp1251")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UserError(f"Не удалось прочитать «{path}»: неизвестная кодировка. Сохраните файл в UTF-8.")


def read_env(path: Path) -> dict[str, str | None]:
    """The settings of a .env file (empty when there is none), whatever editor saved it."""
    from dotenv import dotenv_values

    path = Path(path)
    if not path.is_file():
        return {}
    return dict(dotenv_values(stream=io.StringIO(read_user_text(path))))


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (on this machine)."""
    if pid == os.getpid():
        return True
    if os.name == "nt":  # os.kill(pid, 0) would send Ctrl-C there
        import ctypes

        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        kernel32.CloseHandle(handle)
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# A reused pid is recognised only when its process started this much later than the temporary was last changed:
# the start time read from /proc may be up to a second early (the boot time is given in whole seconds), which errs
# towards keeping, and the margin covers coarse file-system clocks.
_REUSE_SLACK_NS = 1_000_000_000


def _started_ns(pid: int) -> int | None:
    """When process ``pid`` started, in ns of the wall clock (Linux /proc); ``None`` where it cannot be told."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
        boot = next(line for line in Path("/proc/stat").read_text(encoding="ascii").splitlines()
                    if line.startswith("btime "))
        ticks = int(stat.rsplit(")", 1)[1].split()[19])  # field 22, counted after the name in parentheses
        return int(boot.split()[1]) * 1_000_000_000 + ticks * 1_000_000_000 // os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def owner_gone(path: Path) -> bool:
    """Whether the process named in a temporary's name has ended, so the temporary is a leftover.

    A pid is reused after its process ends: a process that started after the temporary was last changed cannot have
    made it. The temporary's ctime is compared, not its mtime: a copy may carry an old mtime (copy2, os.utime), while
    ctime is set by the kernel on every change and nobody can set it back. Where a start time cannot be read
    (macOS, Windows) a live pid keeps its temporaries: a leftover kept is cheaper than a live run's work lost.
    """
    owner = temp_owner(path.name)
    if owner is None or not process_alive(owner):
        return True
    if owner == os.getpid():
        return False
    started = _started_ns(owner)
    if started is None:
        return False
    try:
        changed = path.lstat().st_ctime_ns
    except OSError:
        return False  # already gone: nothing to remove
    return started > changed + _REUSE_SLACK_NS


def clean_leftovers(folder: Path) -> None:
    """Remove the temporaries that ended runs left in ``folder``; a live run's are its own business."""
    if folder.is_dir():
        for p in folder.iterdir():
            # only its machine knows whether the owner of another machine's temporary lives
            if p.name.startswith(TMP_PREFIX) and not temp_elsewhere(p.name) and owner_gone(p):
                remove(p)


SWEEP_DEPTH = 3  # auto_labeled_dataset/<video>/images/ is the deepest folder a stage writes into


def sweep_leftovers(root: Path) -> list[Path]:
    """Remove every temporary of an ended run on this machine anywhere the project writes; return what went.

    A run killed outright (SIGKILL, a closed laptop, the out-of-memory killer) cannot clean up after itself, and
    only some stages clean the folder they write into, so every script sweeps the project when it starts: the
    root (dataset_foto/, tasks.json, the models are replaced there), .locks/ and each top folder to
    :data:`SWEEP_DEPTH` levels. Only names of a temporary's whole shape (:func:`layout.is_temp_name`) whose
    owner is gone (:func:`owner_gone`) are touched; symbolic links are not followed, and a folder that is itself a
    temporary is removed whole or, while its owner lives, not entered. Other folders of the root (.venv, .git)
    are not walked. A project of 100 parts (40 000 files) takes 0.05–0.1 s, measured on two busy cores.
    """
    removed: list[Path] = []

    def visit(folder: str | Path, depth: int) -> None:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return
        for entry in entries:
            if entry.name.startswith(TMP_PREFIX):
                path = Path(entry.path)
                if is_temp_name(entry.name) and not temp_elsewhere(entry.name) and owner_gone(path):
                    remove(path)
                    removed.append(path)
                continue
            if depth > 0:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        visit(entry.path, depth - 1)
                except OSError:
                    continue

    root = Path(root)
    visit(root, 0)
    for name in (LOCKS, *TOP_FOLDERS):
        folder = root / name
        if folder.is_dir():  # a top folder may be a link to another disk: walked, links inside it are not
            visit(folder, SWEEP_DEPTH)
    return removed
