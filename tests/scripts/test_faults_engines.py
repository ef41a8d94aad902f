"""Optional engines installed but unable to load: a clear fallback or a Russian refusal, never a traceback.

A real broken install is made for each run: a site folder on PYTHONPATH (before site-packages) holds a
``torch``, ``whisper`` or ``distributed`` package whose ``__init__`` fails the way real ones do — a
missing system library (OSError), a wheel for another Python (ImportError), a half-written file
(SyntaxError), a dependency gone (ModuleNotFoundError of another name). The fake ``resemblyzer`` and
``whisper`` import ``torch`` first, as the real ones do, so the failure travels the same way.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pedpatterns.layout import Layout
from tests.support.media import bundled_tiny_en, lesson_clip, make_video
from tests.support.scripts import PROCESS, assert_ok, assert_refused, leftovers, run_script, script_env, tree

LIBTORCH = "libtorch_cpu.so: cannot open shared object file: No such file or directory"
BREAKS = {  # how an __init__ fails: the line it raises, and what the user must read of it
    "oserror": (f"raise OSError({LIBTORCH!r})", "libtorch_cpu.so"),
    "importerror": ("raise ImportError('undefined symbol: _ZN3c104cuda9SetDeviceEi')", "undefined symbol"),
    "syntax": ("def broken(:\n", "SyntaxError"),
    "dependency": ("import typing_extensions_that_is_gone", "typing_extensions_that_is_gone"),
}


def broken_site(tmp_path: Path, broken: str, how: str, importers: tuple[str, ...] = ()) -> Path:
    """A site folder with package ``broken`` failing ``how``; each of ``importers`` imports ``broken`` first."""
    site = tmp_path / "broken-site"
    (site / broken).mkdir(parents=True)
    (site / broken / "__init__.py").write_text(BREAKS[how][0] + "\n", encoding="utf-8")
    for name in importers:
        (site / name).mkdir()
        (site / name / "__init__.py").write_text(f"import {broken}\n", encoding="utf-8")
    return site


def env_with(site: Path) -> dict[str, str]:
    return script_env(PYTHONPATH=os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))


def one_film(root: Path) -> Layout:
    layout = Layout(root)
    make_video(layout.films / "Урок.mp4", 12, speech_at=1, speech=lesson_clip().path, gop=20)
    return layout


def assert_no_dump(text: str) -> None:
    assert "Traceback" not in text and "File \"" not in text, text
    assert "прав доступа" not in text and "Не удалось записать или прочитать файл" not in text, text


@pytest.mark.slow
@pytest.mark.parametrize("how", ["oserror", "importerror"])
def test_a_broken_pytorch_means_voices_not_told_apart_and_says_why(tmp_path: Path, how: str) -> None:
    layout = one_film(tmp_path / "проект")
    site = broken_site(tmp_path, "torch", how, importers=("resemblyzer",))
    result = run_script("prepare_data.py", "--yes", "--whisper-model", bundled_tiny_en(), *PROCESS,
                        root=layout.root, env=env_with(site))
    assert_ok(result)
    said = result.out + result.err
    assert_no_dump(said)
    assert said.count("Голоса не разделены: движок resemblyzer не загружается") == 1, said  # once, not per part
    for fragment in ("PyTorch", BREAKS[how][1], "python tools/make.py speakers", "--speakers mfcc", "--force"):
        assert fragment in said, f"нет «{fragment}» в:\n{said}"
    for part in layout.processed_parts():
        transcript = json.loads(layout.transcript_json(part).read_text(encoding="utf-8"))
        assert transcript["speakers"]["engine"] == "none" and BREAKS[how][1] in transcript["speakers"]["note"]
    assert not leftovers(layout.root), leftovers(layout.root)


@pytest.mark.slow
@pytest.mark.parametrize("how", ["oserror", "syntax"])
def test_a_broken_openai_whisper_is_refused_with_what_to_do(tmp_path: Path, how: str) -> None:
    layout = one_film(tmp_path / "проект")
    site = broken_site(tmp_path, "torch", how, importers=("whisper",))
    result = run_script("prepare_data.py", "--yes", "--asr-engine", "openai-whisper", "--whisper-model", "tiny",
                        *PROCESS, root=layout.root, env=env_with(site))
    assert_refused(result, "Движок openai-whisper не загружается", BREAKS[how][1], "make openai-whisper",
                   "--asr-engine faster-whisper", code=1)
    assert_no_dump(result.out + result.err)
    assert not layout.processed_parts()
    assert not leftovers(layout.root), leftovers(layout.root)


@pytest.mark.parametrize("how", ["oserror", "importerror", "syntax", "dependency"])
@pytest.mark.parametrize("script", ["prepare_data.py", "find_patterns.py"])
def test_a_broken_dask_is_refused_before_anything_is_done(tmp_path: Path, how: str, script: str) -> None:
    layout = one_film(tmp_path / "проект")
    before = tree(layout.root)
    site = broken_site(tmp_path, "distributed", how)
    result = run_script(script, "--cluster", "tcp://127.0.0.1:8786", "--whisper-model", bundled_tiny_en(), *PROCESS,
                        root=layout.root, env=env_with(site))
    assert_refused(result, "Кластер Dask недоступен на этой машине", "Dask distributed", BREAKS[how][1],
                   "--jobs N", code=1)
    assert_no_dump(result.out + result.err)
    assert tree(layout.root) == before  # nothing cut, nothing processed


def test_a_broken_dask_does_not_matter_without_a_cluster(tmp_path: Path) -> None:
    """Only --cluster needs Dask: --help and flag errors answer as always with it broken."""
    site = broken_site(tmp_path, "distributed", "oserror")
    result = run_script("prepare_data.py", "--jobs", "ноль", root=tmp_path, env=env_with(site))
    assert result.code == 2 and "--jobs" in result.err, result.err
    assert_no_dump(result.out + result.err)
