#!/usr/bin/env python3
"""Part 4b: MobileNetV2 on keyframes: --mode train on labeled data, --mode predict on a part."""

from __future__ import annotations

import argparse
import sys

from pedpatterns import cli
from pedpatterns.cli import flags
from pedpatterns.models.options import ALPHAS, LabelOptions, TrainOptions


def build_parser() -> argparse.ArgumentParser:
    parser = cli.make_parser(
        "auto_classifier.py",
        "Часть 4б. Классификатор ключевых кадров (MobileNetV2): обучение на разметке экспертов "
        "и автоматическая разметка новых частей уроков.",
        epilog="Примеры:\n"
        "  python auto_classifier.py --mode train\n"
        "  python auto_classifier.py --mode predict --video 1\n"
        "Подробно: readme_auto_class.md",
    )
    parser.add_argument("--mode", choices=["train", "predict"], required=True,
                        help="train — обучить модель на labeled.csv; predict — разметить часть урока")
    common = parser.add_argument_group("общие параметры")
    common.add_argument("--batch-size", type=cli.batch_size, default=TrainOptions.batch_size,
                        help="сколько кадров обрабатывается за один шаг")
    common.add_argument("--threshold", type=cli.fraction, default=TrainOptions.threshold,
                        help="порог уверенности: паттерн считается найденным, если уверенность не ниже порога")
    common.add_argument("--threads", type=cli.threads, default=TrainOptions.threads,
                        help="сколько ядер процессора использовать (0 — все)")
    train = parser.add_argument_group("обучение (--mode train)")
    flags.add_label_arguments(train)
    train.add_argument("--weights", type=cli.text, default=TrainOptions.weights,
                       help="начальные веса MobileNetV2: imagenet (скачиваются при первом запуске), "
                            "none (без предобучения) или путь к файлу весов")
    train.add_argument("--epochs", type=cli.epochs, default=TrainOptions.epochs,
                       help="наибольшее число эпох (обучение остановится раньше, если перестанет улучшаться)")
    train.add_argument("--image-size", type=cli.image_size, default=TrainOptions.image_size,
                       help="сторона квадрата в пикселях, до которого сжимается кадр (от 32)")
    train.add_argument("--alpha", type=cli.one_of(ALPHAS, name="alpha"), default=TrainOptions.alpha,
                       help="ширина MobileNetV2: меньше — быстрее, но грубее; одно из "
                            + ", ".join(f"{a:g}" for a in ALPHAS))
    train.add_argument("--fine-tune", action="store_true",
                       help="после обучения «головы» дообучить и верхние слои MobileNetV2")
    train.add_argument("--fine-tune-epochs", type=cli.epochs, default=TrainOptions.fine_tune_epochs,
                       help="эпох дообучения при --fine-tune")
    train.add_argument("--patience", type=cli.epochs, default=TrainOptions.patience,
                       help="сколько эпох ждать улучшения на проверочных частях до остановки")
    train.add_argument("--test-share", type=cli.test_share, default=TrainOptions.test_share,
                       help="доля примеров, отложенных для честной оценки целыми уроками (при одном уроке — частями; "
                            "столько же — для ранней остановки); если dataset_foto/ собран по этой разметке, "
                            "для оценки берётся его test")
    train.add_argument("--seed", type=cli.seed, default=TrainOptions.seed,
                       help="зерно случайности (одинаковое — одинаковый результат)")
    predict = parser.add_argument_group("разметка (--mode predict)")
    predict.add_argument("--video", type=cli.text,
                         help="часть из part_films/ для разметки: номер в списке, имя или путь к файлу")
    predict.add_argument("--trust-mlb-pkl", action="store_true",
                         help="прочитать список паттернов из mlb.pkl (формат pickle: при чтении может выполниться "
                              "код из файла). Только для модели, обученной прежней версией, и только если mlb.pkl "
                              "ваш собственный; лучше обучить модель заново")
    flags.add_processing_arguments(predict)
    return parser


def train(args: argparse.Namespace) -> None:
    from pedpatterns.models import evaluation, imagemodel  # after parsing: --help never loads TensorFlow

    layout = cli.layout_from(args)
    options = cli.options_from(args, TrainOptions, labels_path=args.labels)
    result = imagemodel.train(layout, options, log=lambda line: print(line, flush=True))
    print()
    if result.table:
        print("Качество на отложенных частях (их модель не видела при обучении):")
        print(result.table)
        print(evaluation.verdict(result.report["metrics"], result.warnings))
    print(result.report["experts"]["note"])
    if result.warnings:
        print("\nЧестно о данных:")
        for warning in result.warnings:
            print(f"  • {warning}")
    if not result.table:
        print("Цифры качества не показаны: данных слишком мало, чтобы они что-то значили.")
    print(f"\nМодель сохранена: {layout.image_model.name}, список паттернов: {layout.image_classes.name} "
          f"(и {layout.mlb.name}), отчёт о качестве: {layout.image_metrics.name}")


def predict(args: argparse.Namespace) -> None:
    from pedpatterns.models import autolabel, imagemodel  # after parsing: --help never loads TensorFlow

    layout = cli.layout_from(args)
    classifier = imagemodel.load_classifier(layout, threads=args.threads, trust_mlb_pkl=args.trust_mlb_pkl)
    video = cli.pick(layout.list_parts(), args.video, what="части урока из part_films/", flag="--video")
    print(f"Размечаю «{video.name}»…", flush=True)
    options = cli.options_from(args, LabelOptions, process=flags.options_from_args(args))
    result = autolabel.label_video(layout, video, classifier, options)
    folder = layout.relative(result.folder)
    print(f"Готово: {result.segments} сегментов.\n"
          f"  кадры и предсказания: {folder}/\n"
          f"  задачи для Label Studio с подсказками модели: {folder}/{autolabel.PREDICTED_TASKS_JSON}\n"
          f"  общий список всех размеченных видео: {layout.relative(layout.auto_labeled_metadata)} "
          f"({result.combined_rows} строк)")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.mode == "train":
        train(args)
    else:
        predict(args)
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
