"""Months of expert work in a project folder survive what happens to real folders.

Each test is a fault a user meets: the same lesson copied in again, another video under a
used name, a re-cut, two runs at once, a full disk, a read-only disk, no permission, Ctrl-C,
a name too long. Every one runs the real scripts as processes on real files (tmpfs for the
full and read-only disks) and checks that nothing labelled was lost, the message is Russian
and nothing temporary was left behind.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock

from pedpatterns.labelstudio.tasks import read_tasks
from pedpatterns.layout import PART_FILMS, REPLACED_PREFIX, TMP_PREFIX, Layout
from pedpatterns.prepare.cutting import film_stem
from tests.support.disks import fill
from tests.support.media import REPO_ROOT, bundled_tiny_en, lesson_clip, make_video
from tests.support.scripts import (
    FILM,
    PROCESS,
    Result,
    assert_kept,
    assert_ok,
    assert_refused,
    copy_project,
    finish,
    leftovers,
    run_script,
    script_env,
    start_script,
    task_urls_resolve,
    tree,
)

pytestmark = pytest.mark.slow
pytest_plugins = ["tests.support.disks"]  # mount_tmpfs

STEM = film_stem(Path(f"{FILM}.mp4"))  # quotes in the film name become "_" in part names
PART1 = f"{STEM}_part001"


# --- running scripts ---------------------------------------------------------------------


def new_entries(before: dict[str, str], root: Path) -> list[str]:
    """What appeared under ``root`` besides the lock files."""
    return sorted(p for p in tree(root) if p not in before and not p.startswith(".locks"))


def assert_kept_adding_tasks(before: dict[str, str], old_tasks: list[dict], layout: Layout) -> None:
    """Every file unchanged but tasks.json, which may only have gained tasks."""
    assert_kept({p: h for p, h in before.items() if p != "tasks.json"}, layout.root)
    now = read_tasks(layout.tasks_json)
    assert all(task in now for task in old_tasks)


def all_leftovers(top: Path) -> list[str]:
    return [p.relative_to(top).as_posix() for p in top.rglob(f"{TMP_PREFIX}*")]


# --- real disks --------------------------------------------------------------------------


def remount_read_only(disk: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)


def assert_disk_full_refusal(result: Result, before: dict[str, str], root: Path, disk: Path) -> None:
    assert_refused(result, "не осталось места", "Освободите место", code=1)
    assert_kept(before, root)
    assert not all_leftovers(disk), all_leftovers(disk)


# --- a project with a film -----------------------------------------------------------------


@pytest.fixture(scope="module")
def model() -> str:
    return bundled_tiny_en()


def project_with_films(root: Path, *films: tuple[str, float]) -> Layout:
    """Films of different content (speech starts later in each): the same content would be one film."""
    layout = Layout(root)
    for number, (name, seconds) in enumerate(films):
        make_video(layout.films / name, seconds, speech_at=1 + number, speech=lesson_clip().path, gop=20)
    return layout


def label_part(layout: Layout, part: str) -> None:
    """labeled.csv with one expert's answer on the first task of ``part``."""
    task = next(t for t in json.loads(layout.tasks_json.read_text(encoding="utf-8")) if t["data"]["part"] == part)
    layout.labeled_csv.write_text(
        "annotation_id,annotator,image,pedagogical_patterns\n"
        f'1,1,{task["data"]["image"]},"{{""choices"": [""Рефлексия""]}}"\n', encoding="utf-8")


# --- 1. a film is known by its content --------------------------------------------------------


def test_the_same_lesson_copied_in_again_reuses_its_parts(lesson: dict, tmp_path: Path) -> None:
    layout = copy_project(lesson["root"], tmp_path)
    original = layout.films / f"{FILM}.mp4"
    again = layout.films / "Урок 25.11.2026 (копия).mp4"
    shutil.copy(original, again)
    tomorrow = time.time() + 86400
    for film in (original, again):
        os.utime(film, (tomorrow, tomorrow))
    before = tree(layout.root)

    under_new_name = run_script("prepare_data.py", *lesson["args"], "--film", again.name, "--part", "1",
                                root=layout.root)
    assert_ok(under_new_name)
    assert "тот же фильм" in under_new_name.out and f"«{STEM}_part…»" in under_new_name.out
    assert "уже обработана" in under_new_name.out
    with_new_date = run_script("prepare_data.py", *lesson["args"], "--film", original.name, "--part", "1",
                               root=layout.root)
    assert_ok(with_new_date)
    assert "Части уже нарезаны" in with_new_date.out
    assert_kept(before, layout.root)
    assert new_entries(before, layout.root) == []


def test_another_video_under_a_used_name_gets_its_own_parts(lesson: dict, tmp_path: Path) -> None:
    layout = copy_project(lesson["root"], tmp_path)
    make_video(layout.films / f"{FILM}.mov", 14, gop=20)  # X.mov beside X.mp4: another lesson, no speech
    before, old_tasks = tree(layout.root), read_tasks(layout.tasks_json)

    result = run_script("prepare_data.py", *lesson["args"], "--film", f"{FILM}.mov", "--part", "1", root=layout.root)
    assert_ok(result)
    assert "уже занято" in result.out and "прежние части не тронуты" in result.out
    assert_kept_adding_tasks(before, old_tasks, layout)
    new_parts = [p for p in new_entries(before, layout.root) if p.startswith("part_films/") and p.endswith(".mp4")]
    assert len(new_parts) == 1 and new_parts[0].startswith(f"part_films/{STEM}-"), new_parts
    stems = {t["data"]["part"] for t in task_urls_resolve(layout)}
    assert PART1 in stems and len(stems) == 2, stems


def test_a_replaced_film_never_overwrites_labelled_parts(lesson: dict, tmp_path: Path) -> None:
    layout = copy_project(lesson["root"], tmp_path)
    label_part(layout, PART1)
    make_video(layout.films / f"{FILM}.mp4", 20, gop=20)  # the same name, another recording
    before, old_tasks = tree(layout.root), read_tasks(layout.tasks_json)
    labelled_files = {p: h for p, h in before.items() if p.startswith(f"processed_data/{PART1}/") and h != "<dir>"}
    assert labelled_files

    plain = run_script("prepare_data.py", *lesson["args"], "--part", "1", root=layout.root)
    assert_ok(plain)
    assert "уже занято" in plain.out and "--force" in plain.out
    assert_kept_adding_tasks(before, old_tasks, layout)

    forced = run_script("prepare_data.py", *lesson["args"], "--part", "1", "--force", root=layout.root)
    assert_ok(forced)
    announced = forced.out.index("Нарезаю заново")
    assert announced < forced.out.index("Нарезано частей"), forced.out  # said before the cut, not after
    asides = [d for d in layout.processed_data.iterdir() if d.name.startswith(REPLACED_PREFIX)]
    assert len(asides) == 1 and asides[0].name in forced.out, forced.out
    moved = tree(asides[0] / PART1)
    for path, digest in labelled_files.items():
        assert moved[path.removeprefix(f"processed_data/{PART1}/")] == digest
    assert layout.keyframe(PART1, 0).is_file()  # the new cut processed under the old name


def test_a_recut_that_would_replace_processed_parts_needs_force(lesson: dict, tmp_path: Path) -> None:
    layout = copy_project(lesson["root"], tmp_path)
    before = tree(layout.root)
    result = run_script("prepare_data.py", *lesson["args"], "--part-minutes", "0.5", "--part", "1", root=layout.root)
    assert_refused(result, "заменит уже обработанные части", PART1, "--force", "--part-minutes 0.25", code=1)
    assert_kept(before, layout.root)


def test_a_still_image_named_mp4_is_refused(tmp_path: Path, model: str) -> None:
    layout = Layout(tmp_path / "проект")
    layout.films.mkdir(parents=True)
    subprocess.run([sys.executable, "-c", "from PIL import Image; import sys; "
                    "Image.new('RGB', (64, 48), (200, 30, 30)).save(sys.argv[1], format='PNG')",
                    str(layout.films / "урок.mp4")], check=True)
    before = tree(layout.root)
    assert_refused(run_script("prepare_data.py", "--whisper-model", model, *PROCESS, "--yes", root=layout.root),
                   "урок.mp4", "картинка")
    assert_kept(before, layout.root)


# --- 2. two runs at once -----------------------------------------------------------------------


def test_two_runs_on_two_films_keep_every_task(tmp_path: Path, model: str) -> None:
    layout = project_with_films(tmp_path / "проект", ("Урок А.mp4", 14), ("Урок Б.mp4", 14))
    runs = [start_script("prepare_data.py", "--whisper-model", model, *PROCESS, "--film", film, "--all",
                         root=layout.root) for film in ("Урок А.mp4", "Урок Б.mp4")]
    for result in [finish(p) for p in runs]:
        assert_ok(result)
    tasks = task_urls_resolve(layout)
    assert {t["data"]["part"] for t in tasks} == {"Урок А_part001", "Урок Б_part001"}
    for part in ("Урок А_part001", "Урок Б_part001"):
        rows = (layout.processed_data / part / "segments.csv").read_text(encoding="utf-8").strip().splitlines()
        assert sum(t["data"]["part"] == part for t in tasks) == len(rows) - 1
    assert not leftovers(layout.root)


RACER = """
import sys, time
from pedpatterns.labelstudio.tasks import update_tasks_file
from pedpatterns.layout import Layout
layout, part, start = Layout(sys.argv[1]), sys.argv[2], float(sys.argv[3])
time.sleep(max(0.0, start - time.time()))  # all racers begin together
for n in range(1, 101):
    update_tasks_file(layout, part, [{"data": {"part": part, "segment": i}} for i in range(n)])
"""


def test_racing_updates_of_tasks_json_lose_nothing(tmp_path: Path) -> None:
    """Without the lock four racers lose a few of 400 tasks (measured: 390 left); with it none."""
    layout = Layout(tmp_path / "проект")
    layout.root.mkdir()
    begin = str(time.time() + 3)
    racers = [subprocess.Popen([sys.executable, "-c", RACER, str(layout.root), f"часть {k}", begin], cwd=REPO_ROOT,
                               env={**script_env(), "PYTHONPATH": str(REPO_ROOT)}, stderr=subprocess.PIPE, text=True)
              for k in range(4)]
    for racer in racers:
        assert racer.wait(120) == 0, racer.stderr.read()
    tasks = read_tasks(layout.tasks_json)
    assert sorted((t["data"]["part"], t["data"]["segment"]) for t in tasks) == [
        (f"часть {k}", i) for k in range(4) for i in range(100)]


def test_a_run_cleans_only_the_temporaries_of_ended_runs(lesson: dict, tmp_path: Path) -> None:
    layout = copy_project(lesson["root"], tmp_path)
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    try:
        live_tmp = layout.part_films / f"{TMP_PREFIX}{alive.pid}-cut.abc"
        dead_tmp = layout.part_films / f"{TMP_PREFIX}{ended.pid}-cut.def"
        old_tmp = layout.part_films / f"{TMP_PREFIX}cut.old-version"
        for tmp in (live_tmp, dead_tmp, old_tmp):
            tmp.mkdir()
            (tmp / "часть.mp4").write_bytes(b"half")
        assert_ok(run_script("prepare_data.py", *lesson["args"], "--part", "1", root=layout.root))
        assert live_tmp.is_dir() and (live_tmp / "часть.mp4").read_bytes() == b"half"
        assert not dead_tmp.exists() and not old_tmp.exists()
    finally:
        alive.kill()
        alive.wait()


def test_a_run_that_must_wait_says_so(lesson: dict, tmp_path: Path) -> None:
    layout = copy_project(lesson["root"], tmp_path)
    lock = FileLock(layout.lock(PART_FILMS))
    lock.acquire()
    lines: list[str] = []
    try:
        process = start_script("prepare_data.py", *lesson["args"], "--part", "1", root=layout.root)
        reader = threading.Thread(target=lambda: lines.extend(process.stderr), daemon=True)
        reader.start()
        deadline = time.monotonic() + 120
        while not any("Жду" in line for line in lines) and time.monotonic() < deadline:
            assert process.poll() is None, "".join(lines)
            time.sleep(0.2)
        assert any("Жду" in line and "работает другой запуск" in line for line in lines), "".join(lines)
        time.sleep(1)  # a fixed wait is the point: an absence (no cutting) has no moment to poll for
        assert process.poll() is None  # still waiting, not cutting over the other run
    finally:
        lock.release()
    out = process.stdout.read()
    assert process.wait(300) == 0, out + "".join(lines)
    assert "уже обработана" in out


# --- 3. real faults ------------------------------------------------------------------------


def test_prepare_data_on_a_full_disk(lesson: dict, mount_tmpfs: Callable[..., Path]) -> None:
    disk = mount_tmpfs("64m")
    layout = copy_project(lesson["root"], disk)
    before = tree(layout.root)
    fill(disk, 32 * 1024)
    result = run_script("prepare_data.py", *lesson["args"], "--part", "2", root=layout.root)
    assert_disk_full_refusal(result, before, layout.root, disk)
    assert not (layout.processed_data / f"{STEM}_part002").exists()


def test_create_image_dataset_on_a_full_disk(labelled: Path, mount_tmpfs: Callable[..., Path]) -> None:
    disk = mount_tmpfs("64m")
    layout = copy_project(labelled, disk)
    before = tree(layout.root)
    fill(disk, 16 * 1024)
    result = run_script("create_image_dataset.py", "--yes", root=layout.root)
    assert_disk_full_refusal(result, before, layout.root, disk)
    assert "dataset_foto" in result.err and not layout.dataset_metadata("train").exists()


def test_find_patterns_on_a_full_disk(lesson: dict, mount_tmpfs: Callable[..., Path]) -> None:
    disk = mount_tmpfs("64m")
    layout = copy_project(lesson["root"], disk)
    make_video(layout.new_videos / "Новый урок.mp4", 14, speech_at=1, speech=lesson_clip().path, gop=20)
    before = tree(layout.root)
    fill(disk, 48 * 1024)
    result = run_script("find_patterns.py", *lesson["args"], root=layout.root)
    assert_refused(result, "мест", code=1)
    assert_kept(before, layout.root)
    assert not all_leftovers(disk), all_leftovers(disk)


def test_saving_the_image_model_on_a_full_disk_keeps_the_old_one(trained: Path,
                                                                  mount_tmpfs: Callable[..., Path]) -> None:
    from tests.support.scripts import FAST_TRAIN

    disk = mount_tmpfs("96m")
    layout = copy_project(trained, disk)
    before = tree(layout.root)
    fill(disk, 64 * 1024)  # room to train, not to save the model
    result = run_script("auto_classifier.py", "--mode", "train", *FAST_TRAIN, root=layout.root, timeout=600)
    assert_disk_full_refusal(result, before, layout.root, disk)  # code 1: a message, not a crash


def test_a_read_only_disk(lesson: dict, mount_tmpfs: Callable[..., Path]) -> None:
    disk = mount_tmpfs("64m")
    layout = copy_project(lesson["root"], disk)
    before = tree(layout.root)
    (disk / "cwd").mkdir()  # where the script starts, made while the disk was writable
    remount_read_only(disk)
    result = run_script("prepare_data.py", *lesson["args"], "--part", "2", root=layout.root)
    assert_refused(result, "только для чтения", str(layout.root), "--root", code=1)
    assert_kept(before, layout.root)


def test_permission_denied(lesson: dict, tmp_path: Path) -> None:
    """Root ignores file modes; without CAP_DAC_OVERRIDE it meets them like any user."""
    if shutil.which("setpriv") is None or os.geteuid() != 0:
        pytest.skip("нужны root и setpriv (util-linux), чтобы отнять право обходить права доступа")
    layout = copy_project(lesson["root"], tmp_path)
    layout.processed_data.chmod(0o555)  # processed parts readable, no new ones
    try:
        before = tree(layout.root)
        result = run_script("prepare_data.py", *lesson["args"], "--part", "2", root=layout.root,
                     prefix=("setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner"))
        assert_refused(result, "прав", "processed_data", "chmod", code=1)
        assert_kept(before, layout.root)
    finally:
        layout.processed_data.chmod(0o755)


def test_a_film_the_user_may_not_read(tmp_path: Path, model: str) -> None:
    if shutil.which("setpriv") is None or os.geteuid() != 0:
        pytest.skip("нужны root и setpriv (util-linux), чтобы отнять право обходить права доступа")
    layout = project_with_films(tmp_path / "проект", ("Чужой урок.mp4", 6))
    (layout.films / "Чужой урок.mp4").chmod(0o000)
    result = run_script("prepare_data.py", "--whisper-model", model, *PROCESS, "--yes", root=layout.root,
                        prefix=("setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner"))
    assert_refused(result, "Чужой урок.mp4", "нет прав доступа", "chmod", code=1)
    assert list(layout.part_films.glob("*.mp4")) == []


def test_a_project_folder_name_too_long_for_the_file_system(tmp_path: Path, model: str) -> None:
    root = tmp_path / ("очень длинное имя папки " * 12)  # 500 bytes in one name
    result = run_script("prepare_data.py", "--whisper-model", model, *PROCESS, "--yes", root=root)
    assert_refused(result, "слишком длинное имя", code=1)
    assert list(tmp_path.iterdir()) == [tmp_path / "cwd"]


def test_ctrl_c_with_two_workers_stops_everything_at_once(tmp_path: Path, model: str) -> None:
    layout = project_with_films(tmp_path / "проект", ("Длинный урок.mp4", 480))
    process = start_script("prepare_data.py", "--whisper-model", model, *PROCESS, "--part-minutes", "2", "--all",
                    "--jobs", "2", root=layout.root, start_new_session=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
    reader.start()
    deadline = time.monotonic() + 120
    while not any("Нарезано" in line for line in lines) and time.monotonic() < deadline:
        assert process.poll() is None, "".join(lines) + process.stderr.read()
        time.sleep(0.2)
    # A fixed wait on purpose: Ctrl-C must land while the workers load Whisper or are inside parts, which shows
    # nothing outside to poll for (four parts of 2 min take far longer).
    time.sleep(2)
    assert process.poll() is None, "".join(lines)
    pressed = time.monotonic()
    os.killpg(process.pid, signal.SIGINT)
    code = process.wait(30)
    took = time.monotonic() - pressed
    err = process.stderr.read()
    assert code == 130, err
    assert took <= 5, f"остановка заняла {took:.1f} с"
    assert "Traceback" not in err and "Прервано" in err, err
    # At return time nothing of the run is left: the group is gone as soon as the command has returned.
    # The bound covers only the kernel reaping what already died (0.5 s), not workers still finishing.
    survivors = ""
    deadline = time.monotonic() + 0.5
    while True:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            break
        survivors = subprocess.run(["ps", "-o", "pid,stat,args", "--sid", str(process.pid)], capture_output=True,
                                   text=True).stdout
        # A zombie is already dead (only its parent's reaping is pending); anything else is a survivor.
        assert all(line.split()[1].startswith("Z") for line in survivors.splitlines()[1:] if line.split()), survivors
        assert time.monotonic() < deadline, f"процессы запуска живы после его конца:\n{survivors}"
        time.sleep(0.02)
    assert not leftovers(layout.root), leftovers(layout.root)
    if layout.tasks_json.exists():
        task_urls_resolve(layout)


# --- find_patterns over several videos --------------------------------------------------------


def test_one_bad_video_does_not_stop_the_others(lesson: dict, tmp_path: Path) -> None:
    layout = copy_project(lesson["root"], tmp_path)
    make_video(layout.new_videos / "Хороший урок.mp4", 14, speech_at=1, speech=lesson_clip().path, gop=20)
    (layout.new_videos / "Сломанный урок.mp4").write_text("это не видео", encoding="utf-8")
    result = run_script("find_patterns.py", *lesson["args"], root=layout.root)
    assert_refused(result, "Сломанный урок.mp4", "Отчёт не построен для 1 из 2", code=1)
    reports = [p.relative_to(layout.new_videos).as_posix() for p in layout.new_videos.rglob("*.html")]
    assert any("Хороший урок" in name for name in reports), reports
    assert not any("Сломанный" in name for name in reports), reports


def test_unusable_labels_give_a_report_without_them(lesson: dict, tmp_path: Path) -> None:
    layout = copy_project(lesson["root"], tmp_path)
    make_video(layout.new_videos / "Урок.mp4", 14, speech_at=1, speech=lesson_clip().path, gop=20)
    layout.labeled_csv.write_text("совсем,не,экспорт\n1,2,3\n", encoding="utf-8")
    result = run_script("find_patterns.py", *lesson["args"], root=layout.root)
    assert_ok(result)
    assert "разметка не используется" in result.err and "labeled.csv" in result.err
    assert list(layout.new_videos.rglob("*.html"))


# --- 4. names ---------------------------------------------------------------------------------


def test_a_film_name_of_240_bytes_works_end_to_end(tmp_path: Path, model: str) -> None:
    name = ("Урок литературы в пятом классе " * 10).encode()[:240].decode("utf-8", "ignore")
    name += "_" * (240 - len(name.encode()))  # exactly 240 bytes, mostly two-byte Cyrillic
    layout = project_with_films(tmp_path / "проект", (f"{name}.mp4", 14))
    assert_ok(run_script("prepare_data.py", "--whisper-model", model, *PROCESS, "--all", root=layout.root))
    make_video(layout.new_videos / f"{name}.mp4", 14, speech_at=1, speech=lesson_clip().path, gop=20)
    assert_ok(run_script("find_patterns.py", "--whisper-model", model, *PROCESS, root=layout.root))

    tasks = task_urls_resolve(layout)
    assert tasks
    names = [p.name for p in layout.root.rglob("*")]
    assert max(len(n.encode()) for n in names) <= 255
    assert any(name[:60] in p.as_posix() for p in layout.new_videos.rglob("*.html"))


# --- 5. damaged or foreign files in the project (issue «Trust, second round») -----------------

DAMAGED_TASKS = {
    "обрезан": '[{"data": {"part": "x", "segm',
    "список не объектов": '[1, "две", null]',
    "объект вместо списка": '{"data": {}}',
    "BOM и не JSON": "\ufeffзадачи",
}


@pytest.mark.parametrize("case", DAMAGED_TASKS)
def test_a_damaged_tasks_json_is_refused_before_any_work(tmp_path: Path, case: str) -> None:
    layout = Layout(tmp_path / "проект")
    make_video(layout.films / "Урок.mp4", 4, gop=20)
    layout.tasks_json.write_text(DAMAGED_TASKS[case], encoding="utf-8")
    before = tree(layout.root)
    result = run_script("prepare_data.py", "--all", root=layout.root)
    assert_refused(result, "tasks.json", "Переименуйте")
    assert tree(layout.root) == before  # not cut, not processed: refused in the first second
    assert leftovers(layout.root) == []


def test_a_foreign_report_json_is_left_out_of_the_summary_not_lost(tmp_path: Path) -> None:
    from pedpatterns.testing.synthetic import make_known_lesson

    layout = Layout(tmp_path / "проект")
    for name in ("Урок 1", "Урок 2"):
        make_known_lesson(layout, name)
    foreign = layout.report_json("Урок 9")
    foreign.parent.mkdir(parents=True)
    foreign.write_text('"не отчёт"', encoding="utf-8")
    result = run_script("find_patterns.py", root=layout.root)
    assert_ok(result)
    assert str(foreign) in result.err and "не вошёл" in result.err
    page = layout.reports_index.read_text(encoding="utf-8")
    assert 'data-video="Урок 1"' in page and 'data-video="Урок 2"' in page and "Урок 9" not in page
    assert foreign.read_text(encoding="utf-8") == '"не отчёт"'


@pytest.mark.parametrize("start", ['"полсекунды"', "NaN", "-3", "null", "Infinity"])
def test_a_transcript_word_without_a_time_is_named_and_the_old_report_kept(tmp_path: Path, start: str) -> None:
    from pedpatterns.testing.synthetic import make_known_lesson

    layout = Layout(tmp_path / "проект")
    make_known_lesson(layout, "Урок 1")
    part = make_known_lesson(layout, "Урок 2")
    assert_ok(run_script("find_patterns.py", root=layout.root))
    old_report = tree(layout.report_dir("Урок 2"))
    transcript = layout.transcript_json(part)
    data = json.loads(transcript.read_text(encoding="utf-8"))
    data["words"][1]["start"] = "START"
    transcript.write_text(json.dumps(data, ensure_ascii=False).replace('"START"', start), encoding="utf-8")

    result = run_script("find_patterns.py", root=layout.root)
    assert_refused(result, str(transcript), "слова № 2", "заново")
    assert tree(layout.report_dir("Урок 2")) == old_report
    assert layout.report_html("Урок 1").is_file()
    assert leftovers(layout.root) == []
