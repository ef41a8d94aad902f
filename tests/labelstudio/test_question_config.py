"""The optional question labelling in the labelling interface: off by default, well-formed when on."""

from __future__ import annotations

from xml.etree import ElementTree

from pedpatterns.labels.questions import LEVEL_NAMES, LEVEL_TAG, OPENNESS_NAMES, OPENNESS_TAG, QUESTION_TAG
from pedpatterns.labels.tags import TEXT_TAG
from pedpatterns.labelstudio.config import has_question_labels, label_config_xml, with_question_labels
from pedpatterns.patterns import default_patterns

P = default_patterns()


def test_off_by_default_and_added_before_the_closing_view() -> None:
    plain = label_config_xml(P)
    assert not has_question_labels(plain) and QUESTION_TAG not in plain
    on = label_config_xml(P, question_labels=True)
    assert has_question_labels(on) and on.startswith(plain.rsplit("</View>", 1)[0])
    assert with_question_labels(plain) == on and with_question_labels(on) == on


def test_per_region_choices_on_the_transcript_export_the_rule_ids() -> None:
    root = ElementTree.fromstring(label_config_xml(P, question_labels=True))
    labels = root.find(f".//Labels[@name='{QUESTION_TAG}']")
    assert labels is not None and labels.get("toName") == TEXT_TAG
    for tag, names in ((OPENNESS_TAG, OPENNESS_NAMES), (LEVEL_TAG, LEVEL_NAMES)):
        choices = root.find(f".//Choices[@name='{tag}']")
        assert choices is not None and choices.get("perRegion") == "true" and choices.get("toName") == TEXT_TAG
        assert [(c.get("alias"), c.get("value")) for c in choices.iter("Choice")] == list(names.items())
    # the pattern list is still the one the backend and the exports look for
    assert root.find(".//Choices[@name='pattern']") is not None
