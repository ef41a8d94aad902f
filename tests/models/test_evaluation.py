import numpy as np

from pedpatterns.models import evaluation as ev


def test_baseline_is_never_empty_and_ignores_inputs() -> None:
    y_train = np.array([[1, 0, 0], [0, 1, 0], [1, 0, 0], [0, 0, 1]])
    base = ev.frequency_baseline(y_train, 3)
    assert base.tolist() == [[1, 0, 0]] * 3


def test_evaluate_perfect_model_beats_baseline_and_table_renders() -> None:
    y = np.array([[1, 0], [0, 1], [1, 1], [0, 1]])
    base = ev.frequency_baseline(y, len(y))
    m = ev.evaluate(y, y, base, ["Паттерн A", "Паттерн B"])
    assert m["micro_f1"] == 1.0 and m["baseline_micro_f1"] < 1.0
    assert m["per_pattern"]["Паттерн A"]["support"] == 2
    table = ev.format_table(m)
    assert "Паттерн A" in table and "micro-F1: модель 1.00" in table


def test_warnings_for_too_little_data() -> None:
    y_train = np.array([[1, 0], [1, 0], [1, 1]])
    y_test = np.array([[1, 0]])
    warnings = ev.data_warnings(y_train, y_test, ["A", "B"], n_groups=1)
    assert any("одна часть" in w for w in warnings)
    assert any("«B»" in w and "слишком мало" in w for w in warnings)
    assert ev.data_warnings(np.ones((5, 1)), np.ones((3, 1)), ["A"], n_groups=3) == []
