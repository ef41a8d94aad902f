from pathlib import Path

import pytest

from pedpatterns import layout as L
from pedpatterns.layout import Layout


def test_every_path_hangs_off_the_given_root(tmp_path: Path) -> None:
    lay = Layout(tmp_path)
    assert lay.films == tmp_path / "films"
    assert lay.part_path("Урок 1", 2) == tmp_path / "part_films" / "Урок 1_part002.mp4"
    assert lay.parts_index("Урок 1") == tmp_path / "part_films" / "Урок 1.parts.json"
    part_dir = tmp_path / "processed_data" / "Урок 1_part002"
    assert lay.keyframe("Урок 1_part002", 7) == part_dir / "segment_007_keyframe.jpg"
    assert lay.audio_clip("p", 0).name == "segment_000_audio.mp3"
    assert lay.tasks_json == tmp_path / "tasks.json"
    assert lay.image_model.name == "image_pattern_model.h5" and lay.mlb.name == "mlb.pkl"


def test_top_folders_are_the_users_fixed_set(tmp_path: Path) -> None:
    Layout(tmp_path).ensure_top_folders()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["films", "part_films", "processed_data", "dataset_foto", "new_videos", "auto_labeled_dataset"]
    )


@pytest.mark.parametrize("stem", ["урок", "Урок английского 5 класс", "a_part_b", "film 😀 'q'"])
def test_part_names_round_trip(stem: str) -> None:
    assert L.split_part_stem(L.part_stem(stem, 12)) == (stem, 12)
    assert L.split_part_stem(stem) is None or "_part" in stem


def test_parts_sort_in_order_and_ignore_other_files(tmp_path: Path) -> None:
    lay = Layout(tmp_path)
    lay.part_films.mkdir()
    for n in (10, 2, 1):
        lay.part_path("f", n).write_bytes(b"x")
    (lay.part_films / "notes.mp4").write_bytes(b"x")
    (lay.part_films / ".tmp-f_part003.mp4").write_bytes(b"x")
    assert [p.name for p in lay.list_parts()] == ["f_part001.mp4", "f_part002.mp4", "f_part010.mp4"]


def test_keyframe_owner_only_inside_processed_data(tmp_path: Path) -> None:
    lay = Layout(tmp_path)
    assert lay.keyframe_owner(lay.keyframe("p 1", 3)) == ("p 1", 3)
    assert lay.keyframe_owner(tmp_path / "films" / "p" / "segment_003_keyframe.jpg") is None
    assert lay.keyframe_owner(lay.part_dir("p") / "other.jpg") is None


def test_safe_stem_keeps_cyrillic_and_spaces_but_not_separators() -> None:
    assert L.safe_stem("Урок 5 класс") == "Урок 5 класс"
    assert "/" not in L.safe_stem("a/b") and ":" not in L.safe_stem("a:b")
    assert L.safe_stem("...") == "film"


def test_processed_parts_require_segments_csv(tmp_path: Path) -> None:
    lay = Layout(tmp_path)
    (lay.part_dir("done")).mkdir(parents=True)
    lay.segments_csv("done").write_text("x")
    (lay.part_dir("half")).mkdir()
    (lay.processed_data / ".tmp-done.x").mkdir()
    assert lay.processed_parts() == ["done"]
