"""Shared by the dataset and Hub tests: a labelled project on disk, its dataset, and the scripts run offline."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import yaml

from pedpatterns import patterns
from pedpatterns.dataset import build
from pedpatterns.labels.labelled import LabeledSet, load_labeled_segments
from pedpatterns.layout import Layout
from pedpatterns.testing.synthetic import make_processed_part, write_ls_csv
from tests.support.scripts import P1, P2, P3, REPO_ROOT

FILMS = ("Урок математики", "Урок английского")


README_TEXT = "# dataset_foto/\n\nОбъяснение, которое хранится в git.\n"


def build_project(root: Path, films: tuple[str, ...] = FILMS, parts_per_film: int = 2, segments: int = 4) -> Layout:
    """A labelled project: films × parts × segments, multi-label rows, two annotators on segment 1."""
    root.mkdir(parents=True, exist_ok=True)
    layout = Layout(root)
    layout.ensure_top_folders()
    layout.dataset_readme.write_text(README_TEXT, encoding="utf-8")
    cycle = [P1, P2, P3]
    annotations = []
    for f, film in enumerate(films):
        for k in range(1, parts_per_film + 1):
            part = f"{film}_part{k:03d}"
            make_processed_part(layout, part, segments, part_start=600.0 * (k - 1),
                                text_of=lambda i, f=f: f"фраза {f}-{i}?")
            for i in range(segments):
                choices = [cycle[i % 3], cycle[(i + 1) % 3]] if i % 2 else [cycle[i % 3]]
                annotations.append((part, i, choices, "анна@школа"))
                if i == 1:
                    annotations.append((part, i, [cycle[1]], "boris@school"))
    write_ls_csv(layout, layout.labeled_csv, annotations)
    return layout


def labeled(layout: Layout) -> LabeledSet:
    return load_labeled_segments(layout, known_patterns=patterns.default_patterns())


def read_split(layout: Layout, split: str) -> list[dict]:
    path = layout.dataset_metadata(split)
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.is_file() else []


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def offline_env(tmp_path: Path) -> dict[str, str]:
    """An environment in which `datasets` and `huggingface_hub` cannot go online and cache in tmp_path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE"))}
    env.update(HF_DATASETS_OFFLINE="1", HF_HUB_OFFLINE="1", HF_HOME=str(tmp_path / "hf-home"),
               PYTHONPATH=str(REPO_ROOT))
    return env


LOAD_SCRIPT = r"""
import json, sys
import datasets
path, data_dir = sys.argv[1:3]
ds = datasets.load_dataset(path, data_dir=data_dir) if data_dir else datasets.load_dataset(path)
out = {}
for split, d in ds.items():
    f = d.features["labels"]
    out[split] = {
        "rows": d.num_rows,
        "labels_type": type(f).__name__,
        "inner": type(f.feature).__name__,
        "inner_dtype": getattr(f.feature, "dtype", None),
        "names": list(getattr(f.feature, "names", []) or []),
        "columns": d.column_names,
        "first": {k: v for k, v in d[0].items() if k != "image"},
        "image_size": list(d[0]["image"].size),
    }
print(json.dumps(out, ensure_ascii=False))
"""


def load_with_datasets(tmp_path: Path, path: str, data_dir: str = "") -> dict:
    """Load with the real `datasets` in a fresh, offline interpreter; a JSON summary of what it saw.

    A separate interpreter because `datasets` reads HF_*_OFFLINE when imported.
    """
    done = subprocess.run([sys.executable, "-c", LOAD_SCRIPT, path, data_dir], capture_output=True, text=True,
                          env=offline_env(tmp_path), cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


FAKE_TOKEN = "hf_FAKEtoken0123456789abcdefSECRET"


REPO = "ivanova/uroki-patterns"


def project_with_dataset(tmp_path: Path) -> Layout:
    """A labelled project with dataset_foto/ built, half of it held out."""
    layout = build_project(tmp_path / "проект школы")
    build.build_dataset(layout, labeled(layout), patterns.default_patterns(), build.BuildOptions(test_share=0.5))
    return layout


def closed_port() -> int:
    """A local port with nothing listening: connecting to it fails at once, like a network outage."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def front_matter(card: str) -> dict:
    assert card.startswith("---\n")
    return yaml.safe_load(card.split("---\n", 2)[1])
