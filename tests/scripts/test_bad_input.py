"""Bad input across the five scripts, each run as a user runs it: a separate process, --root, stdin.

Every refusal must be a Russian message that names the problem and what to do, a non-zero
exit and no traceback, and must leave the project as it was: nothing that existed before is
lost or changed, and no ``.tmp-*`` is left behind. Inputs that only look odd (a film named
with quotes and emoji, labeled.csv re-saved by Excel) must simply work.

Fixtures are built once per module and copied into each test's own folder:
``lesson`` — a real 30 s film with speech cut into two parts, part 1 processed by prepare_data.py;
``labelled`` — a labelled three-part project (pedpatterns.testing.synthetic);
``trained`` — ``labelled`` plus a tiny image model trained by auto_classifier.py.

Every prompt is fed a wrong answer and then end of input: prepare_data.py's film and part
choosers, auto_classifier.py --mode predict's part chooser, and the confirmations of
create_image_dataset.py and upload_dataset.py. find_patterns.py never asks (without
--video it reports on every video), so it has no prompt to test.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from pedpatterns.layout import TMP_PREFIX, Layout
from tests.support.media import make_video, write_bad_film
from tests.support.scripts import (
    FAST_TRAIN,
    FILM,
    P1,
    P2,
    P3,
    REPO_ROOT,
    assert_kept,
    assert_ok,
    assert_refused,
    copy_project,
    leftovers,
    run_script,
    script_env,
    task_urls_resolve,
    tree,
)

# --------------------------------------------------------------------------- prepare_data.py


def test_prepare_empty_films_folder(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "проект")
    layout.ensure_top_folders()
    before = tree(layout.root)
    assert_refused(run_script("prepare_data.py", "--yes", root=layout.root), "нет видео", "Положите", ".mp4")
    assert_kept(before, layout.root)


@pytest.mark.parametrize(("kind", "says"), [
    ("text", "не видео"),
    ("empty", "0 байт"),
    ("silent", "нет звуковой дорожки"),
    ("truncated", "обрезан"),
])
def test_prepare_bad_film(kind: str, says: str, tmp_path: Path) -> None:
    layout = Layout(tmp_path / "проект")
    layout.ensure_top_folders()
    film = layout.films / f"урок «{kind}».mp4"
    write_bad_film(kind, film, make_video(tmp_path / "good.mp4", 4, gop=20))
    before = tree(layout.root)
    result = run_script("prepare_data.py", "--yes", "--whisper-model", "bundled", root=layout.root)
    assert_refused(result, film.name, says)
    assert re.search("Скопируйте|Нужна|Проверьте", result.err), result.err  # … and what to do
    assert_kept(before, layout.root)
    assert not any(layout.part_films.iterdir()) and not any(layout.processed_data.iterdir())


@pytest.mark.slow
def test_prepare_odd_film_name_succeeds(lesson: dict) -> None:
    assert_ok(lesson["result"])
    layout = Layout(lesson["root"])
    assert len(layout.list_parts()) == 2
    [part] = layout.processed_parts()
    assert part.startswith("Урок _5_ «А» класс — it's 😀_part")
    assert task_urls_resolve(layout) and not leftovers(layout.root)


@pytest.mark.slow
def test_prepare_killed_mid_part_then_run_again(lesson: dict, tmp_path: Path) -> None:
    layout = copy_project(lesson["root"], tmp_path)
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    argv = [sys.executable, str(REPO_ROOT / "prepare_data.py"), "--root", str(layout.root), *lesson["args"],
            "--part", "2"]
    proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=script_env())
    deadline = time.monotonic() + 240
    try:  # wait until the part's folder is being written, then pull the plug
        while proc.poll() is None and time.monotonic() < deadline:
            if any(layout.processed_data.glob(f"{TMP_PREFIX}*")):
                break
            time.sleep(0.01)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "обработка закончилась раньше, чем её прервали"
    assert len(layout.processed_parts()) == 1  # the killed part never looks finished

    assert_ok(run_script("prepare_data.py", *lesson["args"], "--part", "2", root=layout.root))
    assert len(layout.processed_parts()) == 2
    for part in layout.processed_parts():
        rows = list(csv.DictReader(layout.segments_csv(part).open(encoding="utf-8")))
        assert rows and all((layout.part_dir(part) / r["keyframe"]).is_file() for r in rows)
    assert {t["data"]["part"] for t in task_urls_resolve(layout)} == set(layout.processed_parts())
    assert not leftovers(layout.root)


@pytest.mark.slow
def test_prepare_film_chooser_wrong_answer_then_end_of_input(lesson: dict, tmp_path: Path) -> None:
    layout = copy_project(lesson["root"], tmp_path)
    shutil.copy(layout.films / f"{FILM}.mp4", layout.films / "второй урок.mp4")
    before = tree(layout.root)
    result = run_script("prepare_data.py", *lesson["args"], root=layout.root, stdin="0\nпервый\n")
    assert_refused(result, "ввод закончился", "--film", code=130)
    assert "«0» — не номер" in result.out and "«первый» — не номер" in result.out
    assert_kept(before, layout.root)


@pytest.mark.slow
def test_prepare_part_chooser_wrong_answer_then_end_of_input(lesson: dict, tmp_path: Path) -> None:
    layout = copy_project(lesson["root"], tmp_path)
    before = tree(layout.root)
    result = run_script("prepare_data.py", *lesson["args"], root=layout.root, stdin="9\n\n")
    assert_refused(result, "ввод закончился", "--part", code=130)
    assert "«9» — не номер" in result.out and "все части (2)" in result.out
    assert_kept(before, layout.root)


@pytest.mark.slow
def test_prepare_output_folder_blocked_by_a_file(lesson: dict, tmp_path: Path) -> None:
    layout = copy_project(lesson["root"], tmp_path)
    shutil.rmtree(layout.processed_data)
    layout.processed_data.write_text("не папка", encoding="utf-8")
    before = tree(layout.root)
    result = run_script("prepare_data.py", *lesson["args"], "--part", "2", root=layout.root)
    assert_refused(result, "processed_data", "лежит файл", "Переименуйте или удалите")
    assert_kept(before, layout.root)



@pytest.mark.slow
def test_prepare_tasks_json_blocked_by_a_folder_is_refused_before_processing(lesson: dict, tmp_path: Path) -> None:
    layout = copy_project(lesson["root"], tmp_path)
    layout.tasks_json.unlink(missing_ok=True)
    layout.tasks_json.mkdir()
    before = tree(layout.root)
    result = run_script("prepare_data.py", *lesson["args"], "--part", "2", root=layout.root)
    assert_refused(result, "tasks.json", "это папка", "Переименуйте или удалите")
    assert_kept(before, layout.root)


# --------------------------------------------------------------------------- create_image_dataset.py


def _write_wrong_columns(layout: Layout) -> None:
    layout.labeled_csv.write_text("кадр,паттерн\nsegment_000_keyframe.jpg,Паттерн 1\n", encoding="utf-8")


def _write_outside_urls(layout: Layout, url: str) -> None:
    text = layout.labeled_csv.read_text(encoding="utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    for row in rows:
        row["image"] = url
    with layout.labeled_csv.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@pytest.mark.slow
@pytest.mark.parametrize(("case", "says"), [
    ("нет файла", ("не найден", "Экспортируйте")),
    ("пустой файл", ("пуст", "Экспортируйте")),
    ("чужие колонки", ("нет колонок", "Найдены колонки: кадр, паттерн", "экспорт Label Studio")),
    ("ссылки с ..", ("за пределы папки проекта", "экспортируйте CSV заново")),
    ("абсолютные пути", ("за пределы папки проекта", "экспортируйте CSV заново")),
    ("удалённые кадры", ("файл не найден", "processed_data/ на месте")),
])
def test_dataset_bad_labeled_csv(case: str, says: tuple[str, ...], labelled: Path, tmp_path: Path) -> None:
    layout = copy_project(labelled, tmp_path)
    if case == "нет файла":
        layout.labeled_csv.unlink()
    elif case == "пустой файл":
        layout.labeled_csv.write_bytes(b"")
    elif case == "чужие колонки":
        _write_wrong_columns(layout)
    elif case == "ссылки с ..":
        _write_outside_urls(layout, "/data/local-files/?d=processed_data/../../etc/passwd")
    elif case == "абсолютные пути":
        _write_outside_urls(layout, "/data/local-files/?d=/etc/passwd")
    elif case == "удалённые кадры":
        for jpg in layout.processed_data.rglob("*.jpg"):
            jpg.unlink()
    before = tree(layout.root)
    assert_refused(run_script("create_image_dataset.py", "--yes", root=layout.root), *says)
    assert_kept(before, layout.root)
    assert not layout.dataset_metadata("train").exists()


@pytest.mark.slow
def test_dataset_excel_semicolons_cp1251_is_read(labelled: Path, tmp_path: Path) -> None:
    layout = copy_project(labelled, tmp_path)
    text = layout.labeled_csv.read_text(encoding="utf-8")
    rows = list(csv.reader(text.splitlines()))
    with layout.labeled_csv.open("w", encoding="cp1251", newline="") as fh:
        csv.writer(fh, delimiter=";", lineterminator="\r\n").writerows(rows)
    result = run_script("create_image_dataset.py", "--yes", root=layout.root)
    assert_ok(result)
    assert "Пропущено строк" not in result.out
    written = [json.loads(line) for split in ("train", "test") if layout.dataset_metadata(split).is_file()
               for line in layout.dataset_metadata(split).read_text(encoding="utf-8").splitlines()]
    assert len(written) == 18 and {p for r in written for p in r["labels"]} == {P1, P2, P3}


@pytest.mark.slow
def test_dataset_output_blocked_by_a_file(labelled: Path, tmp_path: Path) -> None:
    layout = copy_project(labelled, tmp_path)
    shutil.rmtree(layout.dataset_foto)
    layout.dataset_foto.write_text("не папка", encoding="utf-8")
    before = tree(layout.root)
    assert_refused(run_script("create_image_dataset.py", "--yes", root=layout.root), "dataset_foto", "лежит файл",
                   "Переименуйте или удалите")
    assert_kept(before, layout.root)


@pytest.mark.slow
def test_dataset_confirmation_wrong_answer_then_end_of_input(built: Path, tmp_path: Path) -> None:
    layout = copy_project(built, tmp_path)
    before = tree(layout.root)
    result = run_script("create_image_dataset.py", root=layout.root, stdin="может быть\n")
    assert_refused(result, "ввод закончился", "--yes", code=130)
    assert "Заменить его новым?" in result.out and "Ответьте «да» или «нет»" in result.out
    assert_kept(before, layout.root)


# --------------------------------------------------------------------------- upload_dataset.py


@pytest.mark.slow
@pytest.mark.parametrize(("env_text", "encoding"), [
    ("HF_DATASET_REPO=ivanova/uroki\n", "utf-8"),
    ("HF_TOKEN=\nHF_DATASET_REPO=ivanova/uroki\n", "utf-8"),
    ("# токен впишу позже\nHF_DATASET_REPO=ivanova/uroki\n", "cp1251"),  # saved by Notepad as "ANSI"
])
def test_upload_env_without_token(env_text: str, encoding: str, built: Path, tmp_path: Path) -> None:
    layout = copy_project(built, tmp_path)
    layout.env_file.write_text(env_text, encoding=encoding)
    before = tree(layout.root)
    assert_refused(run_script("upload_dataset.py", "--yes", root=layout.root), "нет HF_TOKEN", "Access Tokens",
                   "HF_TOKEN=")
    assert_kept(before, layout.root)


@pytest.mark.slow
def test_upload_confirmation_wrong_answer_then_end_of_input(built: Path, tmp_path: Path) -> None:
    layout = copy_project(built, tmp_path)
    # Saved by Notepad as "Unicode" (UTF-16): the token must still be found, so the question is asked.
    layout.env_file.write_text("HF_TOKEN=hf_notARealToken123\nHF_DATASET_REPO=ivanova/uroki\n", encoding="utf-16")
    before = tree(layout.root)
    result = run_script("upload_dataset.py", root=layout.root, stdin="ага\n")
    assert_refused(result, "ввод закончился", "--yes", code=130)
    assert "ivanova/uroki" in result.out and "Ответьте «да» или «нет»" in result.out
    assert "hf_notARealToken123" not in result.out + result.err
    assert_kept(before, layout.root)


# --------------------------------------------------------------------------- find_patterns.py


@pytest.mark.slow
@pytest.mark.parametrize(("case", "says"), [
    ("пустой файл", ("пуст", "Экспортируйте")),
    ("чужие колонки", ("нет колонок", "экспорт Label Studio")),
])
def test_find_patterns_bad_labeled_csv(case: str, says: tuple[str, ...], labelled: Path, tmp_path: Path) -> None:
    layout = copy_project(labelled, tmp_path)
    (layout.new_videos / "новый урок.mp4").write_bytes(b"")
    if case == "пустой файл":
        layout.labeled_csv.write_bytes(b"")
    else:
        _write_wrong_columns(layout)
    before = tree(layout.root)
    assert_refused(run_script("find_patterns.py", root=layout.root), *says)
    assert_kept(before, layout.root)



@pytest.mark.slow
def test_find_patterns_reports_blocked_by_a_file_is_refused_before_training(labelled: Path, tmp_path: Path) -> None:
    layout = copy_project(labelled, tmp_path)
    (layout.new_videos / "новый урок.mp4").write_bytes(b"")
    layout.reports.write_text("не папка", encoding="utf-8")
    before = tree(layout.root)
    assert_refused(run_script("find_patterns.py", root=layout.root), "reports", "лежит файл")
    assert_kept(before, layout.root)
    assert not layout.text_model.exists()


# --------------------------------------------------------------------------- auto_classifier.py


@pytest.mark.slow
def test_train_output_blocked_by_a_folder(labelled: Path, tmp_path: Path) -> None:
    layout = copy_project(labelled, tmp_path)
    layout.image_model.mkdir()
    (layout.image_model / "заметки.txt").write_text("моё", encoding="utf-8")
    before = tree(layout.root)
    result = run_script("auto_classifier.py", "--mode", "train", *FAST_TRAIN, root=layout.root)
    assert_refused(result, "image_pattern_model.h5", "папка", "должен быть файл")
    assert "эпоха" not in result.out  # refused before any training
    assert_kept(before, layout.root)


@pytest.mark.slow
@pytest.mark.parametrize(("case", "says"), [
    ("повреждённая модель", ("image_pattern_model.h5", "повреждён", "--mode train")),
    ("нет mlb.pkl", ("mlb.pkl", "--mode train")),
    ("паттерны, которых модель не знает", ("не подходят друг к другу", "другими названиями", "--mode train")),
])
def test_predict_bad_model_files(case: str, says: tuple[str, ...], trained: Path, tmp_path: Path) -> None:
    import pickle

    layout = copy_project(trained, tmp_path)
    if case == "повреждённая модель":
        data = layout.image_model.read_bytes()
        layout.image_model.write_bytes(data[: len(data) // 3])
    elif case == "нет mlb.pkl":
        layout.mlb.unlink()
    else:
        mlb = pickle.loads(layout.mlb.read_bytes())
        mlb.classes_ = np.array(["Паттерн, которого модель не знает", *mlb.classes_[1:]], dtype=object)
        layout.mlb.write_bytes(pickle.dumps(mlb))
    before = tree(layout.root)
    assert_refused(run_script("auto_classifier.py", "--mode", "predict", "--video", "1", root=layout.root), *says)
    assert_kept(before, layout.root)
    assert layout.auto_labeled_videos() == []


@pytest.mark.slow
def test_predict_output_blocked_by_a_file(trained: Path, tmp_path: Path) -> None:
    layout = copy_project(trained, tmp_path)
    shutil.rmtree(layout.auto_labeled)
    layout.auto_labeled.write_text("не папка", encoding="utf-8")
    before = tree(layout.root)
    result = run_script("auto_classifier.py", "--mode", "predict", "--video", "1", root=layout.root)
    assert_refused(result, "auto_labeled_dataset", "лежит файл", "Переименуйте или удалите")
    assert_kept(before, layout.root)


@pytest.mark.slow
def test_predict_chooser_wrong_answer_then_end_of_input(trained: Path, tmp_path: Path) -> None:
    layout = copy_project(trained, tmp_path)
    before = tree(layout.root)
    result = run_script("auto_classifier.py", "--mode", "predict", root=layout.root, stdin="4\nтретья\n")
    assert_refused(result, "ввод закончился", "--video", code=130)
    assert "«4» — не номер" in result.out and "«третья» — не номер" in result.out
    assert_kept(before, layout.root)
