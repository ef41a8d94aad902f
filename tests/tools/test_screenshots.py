"""docs/images/ is redone when what the pictures show changes: tools/screenshots.py records what shaped them.

Taking the pictures needs Chromium and Label Studio and minutes, so the tests never take them; they only compare
the digests recorded in docs/images/screenshots.json with the inputs now (the report's HTML builder, the label
config) and name the command that makes the pictures again.
"""

from __future__ import annotations

import json

from PIL import Image

from tests.support.tools import load_tool

tool = load_tool("screenshots")


def record() -> dict:
    return json.loads(tool.RECORD.read_text(encoding="utf-8"))


def test_the_pictures_are_of_the_current_pages() -> None:
    stale = tool.stale_inputs(record())
    assert not stale, (f"Картинки docs/images/ сняты со старой версии: изменилось {', '.join(stale)}. "
                       "Переснимите их: python tools/screenshots.py (или make screenshots) — и закоммитьте "
                       "docs/images/ вместе с изменением.")


def test_every_picture_is_there_small_and_as_recorded() -> None:
    images = record()["images"]
    assert set(images) == {tool.REPORT_PNG, tool.REPORT_TALK_PNG, tool.REPORT_MOMENTS_PNG, tool.LABELSTUDIO_PNG}
    for name, meta in images.items():
        path = tool.IMAGES / name
        assert path.stat().st_size == meta["bytes"] <= tool.MAX_BYTES, name
        with Image.open(path) as image:
            assert image.format == "PNG" and image.size == (meta["width"], meta["height"]), name
            assert image.width == tool.WIDTH, name


def test_a_changed_input_makes_the_pictures_stale() -> None:
    """What the first test relies on: a digest that differs is named."""
    changed = record()
    changed["inputs"] = {**changed["inputs"], tool.LABEL_CONFIG: "0" * 64}
    assert tool.stale_inputs(changed) == [tool.LABEL_CONFIG]
    assert tool.stale_inputs({"inputs": tool.input_digests()}) == []
