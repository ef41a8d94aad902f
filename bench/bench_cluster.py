#!/usr/bin/env python3
"""Parts on a Dask cluster against the process pool, and what 1,000 lesson-hours would take on N machines.

Eight 1-minute parts of dense real speech (480p) are processed from scratch in three ways, each
with fresh worker processes (so every run loads its own models): the process pool of `--jobs 2`,
and Dask with 1 and 2 local workers of one task thread each (what the README advises). Every part
gets one CPU thread in every run, so the pool and the cluster do the same work. The cluster's own
cost per part is the worker time spent outside the parts (handing a part out, sending the result
back, waiting) over the pool's, against what a part costs: goal at most 5 %. The machine is shared
with other work, so the pool and the 2-worker cluster run twice, alternately, and the best counts.
The projection multiplies the measured cost of a lesson-minute out to 1,000 lesson-hours on N
machines like this one, and says that it is an estimate.
"""

from __future__ import annotations

import contextlib
import importlib
import shutil
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import benchmedia

from pedpatterns.layout import Layout
from pedpatterns.prepare.cutting import cut_film
from pedpatterns.prepare.executor import ExecutorOptions
from pedpatterns.prepare.processing import Options, process_parts

PARTS = 8
PART_SECONDS = 60.0
REPEATS = 2
ARCHIVE_HOURS = 1000
MACHINES = (1, 10, 50)
OPTIONS = Options(whisper_model="bundled-tiny.en", language="en", cpu_threads=1, show_progress=False)


def fresh(layout: Layout) -> None:
    shutil.rmtree(layout.processed_data, ignore_errors=True)
    layout.tasks_json.unlink(missing_ok=True)


@dataclass(frozen=True)
class Run:
    wall: float  # seconds from the first part handed out to the last result in tasks.json
    busy: float  # seconds the workers spent inside the parts (PartResult.seconds, summed)
    workers: int

    def idle_per_part(self, parts: int) -> float:
        """Worker time per part spent outside the part: handing it out, sending it back, waiting."""
        return (self.wall * self.workers - self.busy) / parts


def timed(layout: Layout, parts: list[Path], where: ExecutorOptions, workers: int) -> Run:
    """Every part processed from nothing; each must come back processed, once."""
    fresh(layout)
    started = time.perf_counter()
    results = process_parts(layout, parts, OPTIONS, where)
    wall = time.perf_counter() - started
    assert sorted(r.part for r in results if not r.skipped) == sorted(p.stem for p in parts)
    return Run(wall, sum(r.seconds for r in results), workers)


def on_cluster(layout: Layout, parts: list[Path], workers: int) -> Run:
    """A fresh local cluster (scheduler + workers with nannies, as `dask worker` starts them).

    Its start is not timed, and its workers import what this process has imported before the clock
    starts: a pool worker is forked with those imports, a Dask worker imports them once in its life.
    The models are loaded inside the timed run by both, once per worker process.
    """
    import cloudpickle
    from distributed import Client, LocalCluster

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the workers cannot import this script
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster, set_as_default=False) as client:
            client.run(import_all, imported())
        return timed(layout, parts, ExecutorOptions(cluster=cluster.scheduler_address), workers)


def imported() -> list[str]:
    """The modules of the project and its libraries this process holds (a forked pool worker inherits them)."""
    roots = (sysconfig.get_paths()["purelib"], str(benchmedia.ROOT / "pedpatterns"))
    return sorted(name for name, module in list(sys.modules.items())
                  if str(getattr(module, "__file__", None) or "").startswith(roots))


def import_all(names: list[str]) -> None:
    for name in names:
        with contextlib.suppress(Exception):
            importlib.import_module(name)


def hours(minutes: float) -> str:
    return f"{minutes / 60:.0f} ч" if minutes >= 120 else f"{minutes:.0f} мин"


def main() -> str:
    if not benchmedia.have_shared_media():
        text = f"Кластер: пропущено — нет записей речи в {benchmedia.SHARED_MEDIA}"
        print(text)
        return text
    source = benchmedia.lesson_part(PARTS * PART_SECONDS)
    with tempfile.TemporaryDirectory(dir=benchmedia.CACHE) as work:
        layout = Layout(Path(work))
        layout.ensure_top_folders()
        film = layout.films / "бенчмарк архив.mp4"
        shutil.copy(source, film)
        parts = [p.path for p in cut_film(layout, film, PART_SECONDS / 60).parts]
        process_parts(layout, parts[:1], OPTIONS)  # warm the disk cache and the imports, untimed
        pool, dask2 = [], []
        for _ in range(REPEATS):
            pool.append(timed(layout, parts, ExecutorOptions(jobs=2), 2))
            dask2.append(on_cluster(layout, parts, 2))
        dask1 = on_cluster(layout, parts, 1)

    n = len(parts)
    best_pool = min(pool, key=lambda r: r.wall)
    best_dask2 = min(dask2, key=lambda r: r.wall)
    part_seconds = best_pool.busy / n  # what one part costs inside a pool worker
    idle_pool = min(r.idle_per_part(n) for r in pool)
    idle_dask = min(r.idle_per_part(n) for r in dask2)
    overhead = 100 * (idle_dask - idle_pool) / part_seconds  # the cluster's own cost per part, over the pool's
    end_to_end = 100 * (best_dask2.wall / best_pool.wall - 1)
    ppm = {1: 60 * n / dask1.wall, 2: 60 * n / best_dask2.wall}
    # Lesson-minutes one machine like this one (2 cores, 2 workers) processes per minute of wall time.
    per_machine = ppm[2] * PART_SECONDS / 60
    archive = ARCHIVE_HOURS * 60
    runs = lambda rs: " / ".join(f"{r.wall:.1f}" for r in rs)  # noqa: E731
    busy = lambda rs: " / ".join(f"{r.busy / n:.1f}" for r in rs)  # noqa: E731
    idle = lambda rs: " / ".join(f"{r.idle_per_part(n):.2f}" for r in rs)  # noqa: E731
    rows = [
        ["пул процессов, --jobs 2", runs(pool), f"{60 * n / best_pool.wall:.1f}", busy(pool), idle(pool)],
        ["Dask, 1 рабочий", runs([dask1]), f"{ppm[1]:.1f}", busy([dask1]), idle([dask1])],
        ["Dask, 2 рабочих", runs(dask2), f"{ppm[2]:.1f}", busy(dask2), idle(dask2)],
    ]
    projection = [[str(m), hours(archive / (per_machine * m))] for m in MACHINES]
    text = (
        f"{n} частей по {PART_SECONDS / 60:.0f} мин (480p, плотная речь), Whisper tiny.en int8, 1 поток на часть, "
        f"свежие рабочие в каждом прогоне; {benchmedia.machine()}\n\n"
        + benchmedia.table(["как", "время, с (прогоны)", "частей в минуту", "внутри части, с",
                            "вне части, с на часть"], rows)
        + "\n\nНакладные расходы кластера на часть (время рабочего вне части сверх пула): "
        f"{idle_dask - idle_pool:+.2f} с = {overhead:+.1f} % от {part_seconds:.1f} с работы над частью. "
        "Целиком, от первой части до последней, "
        f"кластер из 2 рабочих против пула: {end_to_end:+.1f} % (разница — в счёте внутри частей, "
        "столбец «внутри части»: в рабочих Dask части считались дольше, чем в процессах пула; собственные расходы "
        "кластера этого не объясняют, причина не выяснена — машина общая с другими процессами).\n\n"
        f"Одна машина с 2 рабочими обрабатывает {per_machine:.1f} мин урока за минуту "
        f"({60 * best_dask2.wall / (n * PART_SECONDS):.1f} с работы на минуту урока).\n\n"
        f"**Оценка, не замер:** {ARCHIVE_HOURS} часов уроков на N таких машинах (2 ядра, tiny.en), "
        "если рабочие делят части поровну, а общая папка и планировщик не становятся узким местом:\n\n"
        + benchmedia.table(["машин", "время (оценка)"], projection)
        + "\n\nС моделью `small` (многоязычной, для русских уроков) умножайте примерно на 3–4; машина с "
        "большим числом ядер обрабатывает пропорционально больше. Части по 10 мин дешевле в пересчёте "
        "на минуту урока, чем части по 1 мин здесь (меньше постоянных затрат на часть), так что оценка с запасом."
    )
    print(text)
    benchmedia.goal("кластер Dask против пула процессов, накладные расходы на часть",
                    f"{overhead:+.1f} % ({idle_dask - idle_pool:+.2f} с); целиком {end_to_end:+.1f} %",
                    f"пул --jobs 2: {best_pool.wall:.1f} с на {n} частей", "≤ 5 %", overhead <= 5)
    benchmedia.goal("частей по 1 мин в минуту: 1 / 2 рабочих Dask", f"{ppm[1]:.1f} / {ppm[2]:.1f}", "", "записано",
                    None)
    benchmedia.goal(f"{ARCHIVE_HOURS} ч уроков на 10 машинах по 2 ядра (оценка, tiny.en)",
                    hours(archive / (per_machine * 10)), "", "записано", None)
    return text


if __name__ == "__main__":
    main()
