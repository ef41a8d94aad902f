"""The labeling interface Label Studio shows the experts, and the names of its tags.

The export names its columns after the tags, so the tag names live with the export reader
(:mod:`pedpatterns.labels.tags`) and the interface takes them from there.
"""

from __future__ import annotations

from collections.abc import Iterable
from xml.sax.saxutils import quoteattr

from pedpatterns.labels.questions import (
    LEVEL_NAMES,
    LEVEL_TAG,
    OPENNESS_NAMES,
    OPENNESS_TAG,
    QUESTION_LABEL,
    QUESTION_TAG,
)
from pedpatterns.labels.tags import AUDIO_TAG, CHOICES_TAG, IMAGE_TAG, TEXT_TAG
from pedpatterns.patterns import check_names


def label_config_xml(patterns: Iterable[str], question_labels: bool = False) -> str:
    """The labeling interface: keyframe, audio clip, transcript and a multi-choice list of patterns.

    The transcript keeps its line breaks (one line per speaker turn: «Учитель: …», «Ученик: …»).
    ``question_labels`` adds the optional labelling of the teacher's questions (:func:`with_question_labels`).

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
{question_labels_xml() if question_labels else ""}</View>
"""


def question_labels_xml() -> str:
    """The question labelling: the expert marks a question in the transcript, then picks its kind for that region.

    Per-region choices (``perRegion="true"``) belong to the marked text, so one segment can hold several
    questions of different kinds; they show once a question is selected. Each ``Choice`` shows the Russian name
    and exports its ``alias``, the id the rules answer with (:mod:`pedpatterns.labels.questions`), so renaming
    a class for the experts never breaks comparing the labels with the rules.
    """
    def choices(names: dict[str, str]) -> str:
        return "\n".join(f"      <Choice value={quoteattr(name)} alias={quoteattr(key)}/>"
                         for key, name in names.items())

    return f"""  <Header value="Вопросы учителя: выделите вопрос в тексте и отметьте, какой он"/>
  <Labels name="{QUESTION_TAG}" toName="{TEXT_TAG}">
    <Label value={quoteattr(QUESTION_LABEL)} background="#f4b400"/>
  </Labels>
  <View visibleWhen="region-selected" whenTagName="{QUESTION_TAG}">
    <Header value="Вопрос открытый или закрытый?"/>
    <Choices name="{OPENNESS_TAG}" toName="{TEXT_TAG}" perRegion="true" choice="single-radio" showInline="true">
{choices(OPENNESS_NAMES)}
    </Choices>
    <Header value="Какой уровень мышления он требует (по таксономии Блума)?"/>
    <Choices name="{LEVEL_TAG}" toName="{TEXT_TAG}" perRegion="true" choice="single-radio" showInline="true">
{choices(LEVEL_NAMES)}
    </Choices>
  </View>
"""


def has_question_labels(config: str) -> bool:
    """Whether a labelling config already holds the question labelling (its tag name is there)."""
    return f'name="{QUESTION_TAG}"' in config


def with_question_labels(config: str) -> str:
    """``config`` with the question labelling added before its closing ``</View>`` (unchanged if it has it)."""
    if has_question_labels(config):
        return config
    head, sep, tail = config.rpartition("</View>")
    if not sep:
        raise ValueError("label config without a closing </View>")
    return f"{head}{question_labels_xml()}{sep}{tail}"
