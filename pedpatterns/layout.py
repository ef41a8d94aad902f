"""Every folder and file-name rule of a pedpatterns project, defined once.

The stages talk to each other only through files, so the names of those files are the
contract between them. No other module spells a folder or file name: it asks a
:class:`Layout`. A layout is bound to a project root passed in, never to the current
directory, so the scripts work when started from anywhere and tests run in a
temporary folder.
"""

from __future__ import annotations

import hashlib
import re
import socket
import unicodedata
from dataclasses import dataclass
from pathlib import Path

# The top level fixed by the user.
FILMS = "films"
PART_FILMS = "part_films"
PROCESSED_DATA = "processed_data"
DATASET_FOTO = "dataset_foto"
NEW_VIDEOS = "new_videos"
AUTO_LABELED = "auto_labeled_dataset"
TOP_FOLDERS = (FILMS, PART_FILMS, PROCESSED_DATA, DATASET_FOTO, NEW_VIDEOS, AUTO_LABELED)

VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".avi", ".m4v", ".webm")

# Inside processed_data/<part>/.
SEGMENTS_CSV = "segments.csv"
TRANSCRIPT_JSON = "transcript.json"
LABEL_CONFIG_XML = "label_config.xml"

# Inside new_videos/reports/: one folder per video, and a summary page across them.
REPORT_HTML = "report.html"
REPORT_JSON = "report.json"
REPORT_METRICS_CSV = "lesson_metrics.csv"
REPORT_SEGMENTS_CSV = "segments.csv"
REPORT_TALK_CSV = "who_talks.csv"
REPORTS_INDEX = "index.html"
# Inside new_videos/: the reports without names (find_patterns.py --anonymise), and, among the own reports,
# the key from each film, teacher and class to its neutral label (kept private: it is what the labels hide).
REPORTS = "reports"
SHARED_REPORTS = "reports_anonymised"
ANONYMISED_NAMES = "anonymised_names.json"

# The splits of dataset_foto/ (Hugging Face ImageFolder).
TRAIN, TEST = "train", "test"
SPLITS = (TRAIN, TEST)

# Inside part_films/.
PARTS_INDEX_SUFFIX = ".parts.json"
PART_SEPARATOR = "_part"

# Inside auto_labeled_dataset/ and each auto_labeled_dataset/<video>/: the Hugging Face
# ImageFolder shape (images next to a metadata.jsonl whose file_name is relative to it),
# plus the Label Studio tasks that carry the model's predictions.
AUTO_IMAGES = "images"
METADATA_JSONL = "metadata.jsonl"
PREDICTED_TASKS_JSON = "tasks_with_predictions.json"

# Names of temporary siblings: a folder or file being built is never mistaken for a
# finished one, and an interrupted run's leftovers are recognisable and removable. The
# prefix is followed by the owning process id and a tag of its machine (".tmp-4711@1a2b3c4d-tasks.json.x1y2"),
# so a run removes only the leftovers of runs that are no longer alive, never a live run's work; on a
# folder shared by the machines of a cluster, a process id means something only on its own machine.
TMP_PREFIX = ".tmp-"
REPLACED_PREFIX = "_replaced_"  # processed_data/ folders of labelled parts a re-cut set aside
_TMP_OWNER_RE = re.compile(rf"^{re.escape(TMP_PREFIX)}(?P<pid>\d+)(?:@(?P<host>[0-9a-f]{{8}}))?-")
# The whole name of a temporary fsutil made: its prefix (fsutil.temp_prefix), then tempfile's eight random characters,
# or "old" for a folder set aside while it is replaced. Only names of this shape are removed outside the folders a
# stage cleans itself, so a user's ".tmp-notes.txt" beside the scripts is never taken for a leftover.
_TMP_WHOLE_RE = re.compile(rf"^{re.escape(TMP_PREFIX)}\d+(?:@[0-9a-f]{{8}})?-.+\.(?:[a-z0-9_]{{8}}|old)$", re.DOTALL)
HOST_TAG = hashlib.sha1(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]

# Locks of the files that several runs may update at once live here (see pedpatterns.locks).
LOCKS = ".locks"

# Every name the project derives must fit the common file-system limit of 255 bytes,
# temporaries included: a film's stem keeps at most this many bytes, the rest of the budget
# goes to "_part001", ".parts.json" and the temporary prefix and suffix.
MAX_NAME_BYTES = 255
MAX_STEM_BYTES = 200


def segment_keyframe_name(index: int) -> str:
    """Keyframe of segment ``index``; the same shape auto_classifier's documentation promises."""
    return f"segment_{index:03d}_keyframe.jpg"


def segment_audio_name(index: int) -> str:
    """Audio clip of segment ``index``: MP3 because every browser Label Studio runs in plays it."""
    return f"segment_{index:03d}_audio.mp3"


_KEYFRAME_RE = re.compile(r"^segment_(?P<index>\d{3,})_keyframe\.jpg$")


def parse_keyframe_name(name: str) -> int | None:
    """Segment index of a keyframe's file name; ``None`` for any other name."""
    match = _KEYFRAME_RE.match(name)
    return int(match["index"]) if match else None


def part_stem(film_stem: str, number: int) -> str:
    """Name of a part: the film's name and a zero-padded number, so parts sort in order."""
    return f"{film_stem}{PART_SEPARATOR}{number:03d}"


_PART_RE = re.compile(rf"^(?P<film>.+){PART_SEPARATOR}(?P<number>\d{{3,}})$")


def split_part_stem(stem: str) -> tuple[str, int] | None:
    """Inverse of :func:`part_stem`; ``None`` for a name that is not a part's."""
    match = _PART_RE.match(stem)
    if not match:
        return None
    return match["film"], int(match["number"])


def temp_owner(name: str) -> int | None:
    """The process id in a temporary's name; ``None`` for a name without one."""
    match = _TMP_OWNER_RE.match(name)
    return int(match["pid"]) if match else None


def is_temp_name(name: str) -> bool:
    """Whether ``name`` has the whole shape of a temporary this project makes (owner, name and random tail)."""
    return bool(_TMP_WHOLE_RE.match(name))


def temp_elsewhere(name: str) -> bool:
    """Whether a temporary belongs to a process on another machine (older names carry no tag: this one)."""
    match = _TMP_OWNER_RE.match(name)
    return bool(match and match["host"] and match["host"] != HOST_TAG)


def fit_name(name: str, limit: int = MAX_STEM_BYTES) -> str:
    """``name`` within ``limit`` bytes of UTF-8; a longer one is cut and given a stable hash suffix.

    The suffix keeps two long names that share their beginning apart, and the same name
    always gets the same short form, so a second run finds the first run's files.
    """
    data = name.encode("utf-8")
    if len(data) <= limit:
        return name
    digest = hashlib.sha1(data).hexdigest()[:8]
    head = data[: limit - len(digest) - 1].decode("utf-8", "ignore").rstrip(" .")
    return f"{head}-{digest}"


def safe_stem(name: str) -> str:
    """A film's stem made safe for every file system and URL, keeping Cyrillic letters.

    Spaces, Cyrillic and most punctuation are kept (they are the user's own names and work
    everywhere once URL-encoded); only characters that break a path, a shell-less command
    line or a Windows file system are replaced, and a long name is shortened
    (:func:`fit_name`) so that every name made from it fits the file system.
    """
    name = unicodedata.normalize("NFC", name).strip()
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", name)
    name = name.strip(". ") or "film"
    return fit_name(name)


def is_video(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in VIDEO_SUFFIXES and not path.name.startswith(".")


@dataclass(frozen=True)
class Layout:
    """The project's folders and files under one root."""

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root).resolve())

    # --- top-level folders -------------------------------------------------------------
    @property
    def films(self) -> Path:
        return self.root / FILMS

    @property
    def part_films(self) -> Path:
        return self.root / PART_FILMS

    @property
    def processed_data(self) -> Path:
        return self.root / PROCESSED_DATA

    @property
    def dataset_foto(self) -> Path:
        return self.root / DATASET_FOTO

    @property
    def new_videos(self) -> Path:
        return self.root / NEW_VIDEOS

    @property
    def auto_labeled(self) -> Path:
        return self.root / AUTO_LABELED

    # --- top-level files ---------------------------------------------------------------
    @property
    def labeled_csv(self) -> Path:
        return self.root / "labeled.csv"

    @property
    def tasks_json(self) -> Path:
        return self.root / "tasks.json"

    @property
    def label_queue(self) -> Path:
        """The next batch for the experts (active learning): tasks with the models' predictions."""
        return self.root / "label_queue.json"

    @property
    def env_file(self) -> Path:
        return self.root / ".env"

    @property
    def image_model(self) -> Path:
        return self.root / "image_pattern_model.h5"

    @property
    def mlb(self) -> Path:
        return self.root / "mlb.pkl"

    @property
    def image_metrics(self) -> Path:
        return self.root / "image_pattern_model.metrics.json"

    @property
    def image_classes(self) -> Path:
        """The image model's pattern names in output order, as JSON: read instead of unpickling mlb.pkl."""
        return self.root / "image_pattern_model.classes.json"

    @property
    def text_model(self) -> Path:
        """The audio/text model in skops format: loading it builds only the types it is allowed to."""
        return self.root / "text_pattern_model.skops"

    @property
    def legacy_text_model(self) -> Path:
        """Where older versions pickled the text model (joblib); it is never loaded, only named."""
        return self.root / "text_pattern_model.joblib"

    @property
    def text_metrics(self) -> Path:
        return self.root / "text_pattern_model.metrics.json"

    @property
    def live_labels(self) -> Path:
        """Experts' answers the ML backend received from Label Studio (webhook), kept so a restart loses none."""
        return self.root / "live_labels.json"

    @property
    def live_model(self) -> Path:
        """The audio/text model the ML backend retrains while experts label (skops, like text_model)."""
        return self.root / "live_pattern_model.skops"

    @property
    def live_metrics(self) -> Path:
        return self.root / "live_pattern_model.metrics.json"

    # --- films and parts ---------------------------------------------------------------
    def list_films(self) -> list[Path]:
        return sorted(p for p in self.films.glob("*") if is_video(p))

    def list_parts(self) -> list[Path]:
        return sorted(
            p for p in self.part_films.glob("*.mp4") if is_video(p) and split_part_stem(p.stem)
        )

    def list_new_videos(self) -> list[Path]:
        return sorted(p for p in self.new_videos.glob("*") if is_video(p))

    def film_parts(self, film_stem: str) -> list[Path]:
        return [p for p in self.list_parts() if split_part_stem(p.stem)[0] == film_stem]

    def part_path(self, film_stem: str, number: int) -> Path:
        return self.part_film(part_stem(film_stem, number))

    def part_film(self, part: str) -> Path:
        """The film of a part named ``part`` (as in processed_data/): what the report and the .eaf play."""
        return self.part_films / f"{part}.mp4"

    def parts_index(self, film_stem: str) -> Path:
        """The record of each part's true start and duration in the film (JSON)."""
        return self.part_films / f"{film_stem}{PARTS_INDEX_SUFFIX}"

    # --- processed parts ---------------------------------------------------------------
    def part_dir(self, part: str) -> Path:
        return self.processed_data / part

    def segments_csv(self, part: str) -> Path:
        return self.part_dir(part) / SEGMENTS_CSV

    def transcript_json(self, part: str) -> Path:
        return self.part_dir(part) / TRANSCRIPT_JSON

    def label_config(self, part: str) -> Path:
        return self.part_dir(part) / LABEL_CONFIG_XML

    def keyframe(self, part: str, index: int) -> Path:
        return self.part_dir(part) / segment_keyframe_name(index)

    def audio_clip(self, part: str, index: int) -> Path:
        return self.part_dir(part) / segment_audio_name(index)

    def keyframe_owner(self, path: Path) -> tuple[str, int] | None:
        """(part, segment) of a keyframe path inside processed_data/, else ``None``."""
        path = Path(path)
        index = parse_keyframe_name(path.name)
        if index is None or path.parent.parent != self.processed_data:
            return None
        return path.parent.name, index

    def processed_parts(self) -> list[str]:
        """Parts whose processing finished (a finished part always has its segments.csv)."""
        if not self.processed_data.is_dir():
            return []
        return sorted(
            d.name
            for d in self.processed_data.iterdir()
            if d.is_dir() and not d.name.startswith(".") and (d / SEGMENTS_CSV).is_file()
        )

    def replaced_dir(self, stamp: str) -> Path:
        """Where processed parts that labels point to are moved when a re-cut or re-processing replaces them."""
        return self.processed_data / f"{REPLACED_PREFIX}{stamp}"

    # --- image dataset -----------------------------------------------------------------
    def dataset_split(self, split: str) -> Path:
        return self.dataset_foto / split

    def dataset_metadata(self, split: str) -> Path:
        return self.dataset_split(split) / "metadata.jsonl"

    @property
    def dataset_readme(self) -> Path:
        """The tracked explanation of dataset_foto/; rebuilding the dataset keeps it."""
        return self.dataset_foto / "README.md"

    @property
    def dataset_patterns(self) -> Path:
        """The ordered pattern list the dataset was built with: the Hub's class ids follow it."""
        return self.dataset_foto / "patterns.json"

    @property
    def dataset_agreement_json(self) -> Path:
        """The experts' agreement per pattern (pedpatterns.labelstudio.agreement), written with the dataset."""
        return self.dataset_foto / "agreement.json"

    @property
    def dataset_agreement_csv(self) -> Path:
        """The same agreement table for Excel: a row per pattern, a κ column per pair of experts."""
        return self.dataset_foto / "agreement.csv"

    @property
    def hub_preview(self) -> Path:
        """What ``upload_dataset.py --dry-run`` would commit to the Hub, kept for inspection."""
        return self.root / "hub_preview"

    # --- predictions and reports -------------------------------------------------------
    def auto_labeled_video(self, video_stem: str) -> Path:
        """One video's auto-labelling results, kept apart so a second video never overwrites them."""
        return self.auto_labeled / video_stem

    @property
    def auto_labeled_metadata(self) -> Path:
        """Every video's predictions in one file, rebuilt from the per-video files after each run."""
        return self.auto_labeled / METADATA_JSONL

    def auto_labeled_videos(self) -> list[str]:
        """Videos labelled so far: folders of auto_labeled_dataset/ that hold a finished metadata.jsonl."""
        if not self.auto_labeled.is_dir():
            return []
        return sorted(
            d.name
            for d in self.auto_labeled.iterdir()
            if d.is_dir() and not d.name.startswith(".") and (d / METADATA_JSONL).is_file()
        )

    @property
    def reports(self) -> Path:
        return self.new_videos / REPORTS

    def report_dir(self, video_stem: str) -> Path:
        return self.reports / video_stem

    def report_html(self, video_stem: str) -> Path:
        return self.report_dir(video_stem) / REPORT_HTML

    def report_json(self, video_stem: str) -> Path:
        return self.report_dir(video_stem) / REPORT_JSON

    def report_metrics_csv(self, video_stem: str) -> Path:
        """The lesson metrics, one per row (what the report's summary cards show)."""
        return self.report_dir(video_stem) / REPORT_METRICS_CSV

    def report_segments_csv(self, video_stem: str) -> Path:
        """One row per segment with its predicted patterns (what the report's table shows)."""
        return self.report_dir(video_stem) / REPORT_SEGMENTS_CSV

    def report_talk_csv(self, video_stem: str) -> Path:
        """Who talks in the lesson (teacher, pupils, silence: seconds and shares), for Excel."""
        return self.report_dir(video_stem) / REPORT_TALK_CSV

    @property
    def shared_reports(self) -> Path:
        """The reports meant for sharing, without names (find_patterns.py --anonymise)."""
        return self.new_videos / SHARED_REPORTS

    @property
    def anonymised_names(self) -> Path:
        """The private key: which film, teacher and class each neutral label of the shared reports stands for."""
        return self.new_videos / REPORTS / ANONYMISED_NAMES

    def source_part(self, part: str) -> str:
        """The processed part a report names ``part``: itself, but in a shared report (report/privacy.py)."""
        return part

    @property
    def reports_index(self) -> Path:
        """The summary page across every video's report."""
        return self.reports / REPORTS_INDEX

    @property
    def lessons_csv(self) -> Path:
        """Optional: teacher, class and date of each video in new_videos/ (for lessons over time)."""
        return self.new_videos / "lessons.csv"

    @property
    def lessons_over_time_csv(self) -> Path:
        """The lessons in date order, a row each: talk shares, questions, wait time, patterns."""
        return self.reports / "lessons_over_time.csv"

    @property
    def lessons_over_time_png(self) -> Path:
        """The same numbers as plots (also embedded in the summary page)."""
        return self.reports / "lessons_over_time.png"

    # --- helpers -----------------------------------------------------------------------
    def relative(self, path: Path) -> str:
        """A path inside the root, as POSIX text relative to it (what URLs and CSVs store)."""
        return Path(path).resolve().relative_to(self.root).as_posix()

    def lock(self, name: str) -> Path:
        """The lock file guarding ``name`` (a file or a film) against two runs at once."""
        return self.root / LOCKS / f"{fit_name(name, 120)}.lock"

    def ensure_top_folders(self) -> None:
        for name in TOP_FOLDERS:
            (self.root / name).mkdir(parents=True, exist_ok=True)


def default_root() -> Path:
    """The project root: the folder that holds the scripts, wherever they are started from."""
    return Path(__file__).resolve().parent.parent
