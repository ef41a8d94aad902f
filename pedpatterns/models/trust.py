"""What a model file may contain before it is read: the checks both pattern models run first.

A model file comes from disk, and a project folder may be copied from anyone. Rebuilding a model
can run code: a pickle runs whatever it names, Keras rebuilds whatever layer classes an .h5's
architecture names, skops rebuilds whatever types it is told to trust. So every file is looked
at with plain readers (h5py, json, skops' type listing) and compared with the short lists of what
this project itself saves; anything else is refused unread with a Russian message. The one
pickle (``mlb.pkl``) is unpickled only on the user's explicit ``--trust-mlb-pkl``; otherwise its
SHA-256, recorded beside the model, tells whether it is the one saved with it.

The models keep what is theirs: how to build, save and load (imagemodel, textmodel); each passes
``hint``, its own Russian line on how to retrain, for the messages here.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from pathlib import Path
from typing import Any

from pedpatterns.errors import UserError

# --- the image model (.h5, classes JSON, mlb.pkl) -----------------------------------------

# Every class the architecture of a saved classifier may name: the layers imagemodel.build_model uses
# (MobileNetV2's included) and the small objects inside their configs. Anything else (a Lambda,
# a custom layer, a function) could run code while Keras rebuilds it, and is refused unread.
MODEL_CONFIG_CLASSES = frozenset({
    "Functional", "InputLayer", "Rescaling", "Conv2D", "DepthwiseConv2D", "BatchNormalization", "ReLU",
    "ZeroPadding2D", "Add", "GlobalAveragePooling2D", "Dropout", "Dense", "Activation",
    "DTypePolicy", "GlorotUniform", "Zeros", "Ones", "__keras_tensor__", "__tuple__",
})
MODEL_ACTIVATIONS = frozenset({"linear", "relu", "relu6", "sigmoid"})
CLASSES_ATTR = "pedpatterns_classes"  # pattern names stored inside the .h5 as well, to catch a mismatched file


def sha256(source: bytes | Path) -> str:
    """The SHA-256 (hex) of bytes, or of a file read in chunks: how a file is known without reading it as data."""
    h = hashlib.sha256()
    if isinstance(source, bytes):
        h.update(source)
        return h.hexdigest()
    with source.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _names(value: Any) -> list[str] | None:
    """A list of distinct, non-empty pattern names, or None for anything else."""
    if not isinstance(value, list) or not value:
        return None
    if not all(isinstance(v, str) and v.strip() and "\x00" not in v and len(v) < 1000 for v in value):
        return None
    return list(value) if len(set(value)) == len(value) else None


def read_classes_attr(path: Path) -> list[str] | None:
    """The names stored inside the .h5 (None when an older version saved it); ValueError when damaged."""
    import h5py

    with h5py.File(path, "r") as h5:
        value = h5.attrs.get(CLASSES_ATTR)
    if value is None:
        return None
    names = _names(json.loads(value.decode("utf-8") if isinstance(value, bytes) else value))
    if names is None:
        raise ValueError("damaged classes attribute")
    return names


def read_classes_file(path: Path, hint: str) -> tuple[list[str], str | None] | None:
    """(pattern names, SHA-256 of the mlb.pkl saved with them) from the classes JSON; None when absent."""
    if not path.is_file():
        return None
    damaged = UserError(f"Файл «{path.name}» со списком паттернов модели повреждён. {hint}")
    try:
        record = json.loads(path.read_bytes().decode("utf-8"))
    except (ValueError, RecursionError, OSError):
        raise damaged from None
    digest = None
    if isinstance(record, dict):
        digest = record.get("mlb_sha256")
        record = record.get("classes")
    names = _names(record)
    if names is None or not (digest is None or isinstance(digest, str)):
        raise damaged
    return names, digest


def _unsafe_config_parts(node: Any, found: set[str]) -> set[str]:
    """Whatever in a Keras model config is not one of the built-in objects this project saves."""
    if isinstance(node, dict):
        if "class_name" in node:
            name = node["class_name"]
            module = node.get("module")
            registered = node.get("registered_name")
            if not isinstance(name, str) or name not in MODEL_CONFIG_CLASSES:
                found.add(str(name)[:60])
            elif module is not None and not (isinstance(module, str) and (module == "keras" or
                                                                          module.startswith("keras."))):
                found.add(f"{name} из {str(module)[:60]}")
            elif registered is not None and registered != name:
                found.add(f"{name} ({str(registered)[:60]})")
        activation = node.get("activation")
        if activation is not None and activation not in MODEL_ACTIVATIONS:
            found.add(f"activation={str(activation)[:60]}")
        for value in node.values():
            _unsafe_config_parts(value, found)
    elif isinstance(node, list):
        for value in node:
            _unsafe_config_parts(value, found)
    return found


def check_model_file(path: Path, hint: str) -> None:
    """Refuse an .h5 that is damaged or whose architecture names anything this project does not build.

    Read with h5py and json only, before Keras sees the file: Keras' own safe mode refuses
    a Python lambda, but a check against the short list of expected layers also refuses a
    custom or registered object, whatever future Keras versions would do with it.
    """
    import h5py

    damaged = f"Файл модели «{path.name}» повреждён и не читается. {hint}"
    try:
        with h5py.File(path, "r") as h5:
            raw = h5.attrs.get("model_config")
        config = json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
    except Exception:  # not HDF5, truncated, no architecture, not JSON
        raise UserError(damaged) from None
    if not isinstance(config, dict):
        raise UserError(damaged)
    unsafe = sorted(_unsafe_config_parts(config, set()))
    if unsafe:
        shown = ", ".join(unsafe[:5]) + (f" и ещё {len(unsafe) - 5}" if len(unsafe) > 5 else "")
        raise UserError(
            f"Модель «{path.name}» содержит неизвестные слои или функции ({shown}): при загрузке такой файл мог бы "
            f"выполнить чужой код, поэтому он не загружается. {hint}"
        )


def unpickle_binarizer(path: Path, hint: str) -> list[str]:
    """mlb.pkl's class names: only on --trust-mlb-pkl, because unpickling runs the code a pickle names."""
    try:
        mlb = pickle.loads(path.read_bytes())
        names = _names([str(c) for c in mlb.classes_])
    except Exception:
        names = None
    if names is None:
        raise UserError(f"Файл «{path.name}» повреждён или не от этой программы. {hint}")
    return names


# --- the text model (skops) ---------------------------------------------------------------

# What a saved text model holds besides the types skops trusts by default (scikit-learn's estimators,
# numpy arrays, plain containers): the dtype the TF-IDF views produce and their preprocessors.
# Anything else in a model file is refused unread: it could run code while being rebuilt.
# The preprocessors are named as text, not imported (textmodel imports this module); the save-and-load
# round trip in tests/models/test_textmodel.py fails if they are renamed without this list.
TEXT_MODEL_TYPES = (
    "numpy.dtype",
    "pedpatterns.models.textmodel.normalise_text",
    "pedpatterns.models.textmodel.lemmatise_text",
)


class UntrustedModel(UserError):
    """A model file that names types it has no business holding: refused, never retrained over silently."""


def check_skops_file(path: Path, *, damaged: str, hint: str) -> None:
    """Refuse a skops file, unbuilt, when it names a type outside :data:`TEXT_MODEL_TYPES` and skops' safe set.

    ``damaged``: the message when the file's types cannot even be listed (not a zip, no schema,
    a schema of another skops version); a foreign type is :class:`UntrustedModel`.
    """
    import skops.io as sio

    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception:  # not a zip, no schema, a schema of another skops version…
        raise UserError(damaged) from None
    unknown = sorted(set(untrusted) - set(TEXT_MODEL_TYPES))
    if unknown:
        shown = ", ".join(unknown[:5]) + (f" и ещё {len(unknown) - 5}" if len(unknown) > 5 else "")
        raise UntrustedModel(
            f"Модель «{path}» содержит неизвестные типы ({shown}): при загрузке такой файл мог бы выполнить "
            f"чужой код, поэтому он не загружается. {hint}"
        )
