"""The tools/ scripts as modules: the sample lessons' script and timings, the tokenizer measurement.

tools/ is not a package, so tests load a tool from its file. The sample lessons are defined once, in
tools/make_sample_lesson.py (``ENGLISH`` / ``RUSSIAN``, ``lesson_script()``, ``expected_timeline()``, the WER
helpers), so a lesson edited there is checked against its regenerated video and nothing is written twice;
tools/measure_tokenizer.py's measure is the one the text model's test repeats on fewer seeds.
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]
TOOLS = REPO / "tools"


@functools.cache
def load_tool(name: str = "make_sample_lesson") -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, TOOLS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module
