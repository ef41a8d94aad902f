"""The labeling interface Label Studio shows the experts, and the names of its tags.

The export names its columns after the tags, so the tag names live with the export reader
(:mod:`pedpatterns.labels.tags`) and the interface takes them from there.
"""

from __future__ import annotations

from collections.abc import Iterable
from xml.sax.saxutils import quoteattr

from pedpatterns.labels.tags import AUDIO_TAG, CHOICES_TAG, IMAGE_TAG, TEXT_TAG
from pedpatterns.patterns import check_names


def label_config_xml(patterns: Iterable[str]) -> str:
    """The labeling interface: keyframe, audio clip, transcript and a multi-choice list of patterns.

    The transcript keeps its line breaks (one line per speaker turn: «Учитель: …», «Ученик: …»).

    Names are checked (:func:`pedpatterns.patterns.check_names`) and escaped, so the config is well-formed
    XML whatever the list holds, and each ``Choice`` value reads back as the very name.
    """
    names = list(patterns)
    check_names(names)  # refuses what XML or Label Studio cannot hold; the names are written as given
    choices = "\n".join(f"    <Choice value={quoteattr(p)}/>" for p in names)
    return f"""<View>
  <Header value="$film · $part · сегмент $segment · $time"/>
  <Image name="{IMAGE_TAG}" value="${IMAGE_TAG}" zoom="true" maxWidth="720px"/>
  <Audio name="{AUDIO_TAG}" value="${AUDIO_TAG}"/>
  <Style>.htx-text {{ white-space: pre-wrap; }}</Style>
  <Text name="{TEXT_TAG}" value="${TEXT_TAG}"/>
  <Header value="Какие педагогические паттерны вы видите в этом фрагменте?"/>
  <Choices name="{CHOICES_TAG}" toName="{IMAGE_TAG}" choice="multiple" showInLine="false">
{choices}
  </Choices>
</View>
"""
