#!/usr/bin/env python3
"""Part 3: build dataset_foto/ (Hugging Face ImageFolder) from labeled.csv and the keyframes."""

from __future__ import annotations

import sys

from pedpatterns import cli, patterns
from pedpatterns.cli import flags
from pedpatterns.dataset.options import SPLIT_BY, BuildOptions
from pedpatterns.words import skipped_lines


def main(argv: list[str] | None = None) -> int:
    parser = cli.make_parser(
        "create_image_dataset.py",
        "Часть 3. Собирает датасет изображений dataset_foto/ из разметки labeled.csv "
        "и ключевых кадров в processed_data/.",
    )
    flags.add_label_arguments(parser)
    parser.add_argument("--patterns", type=cli.path, default=None,
                        help="файл со своим списком паттернов, по одному в строке (по умолчанию: встроенный список)")
    parser.add_argument("--test-share", type=cli.test_share, default=BuildOptions.test_share,
                        help="доля примеров для проверки (test); фильмы или части целиком")
    parser.add_argument("--seed", type=cli.seed, default=BuildOptions.seed,
                        help="число для случайного выбора test: с тем же числом выбор повторяется")
    parser.add_argument("--split-by", choices=SPLIT_BY, default=BuildOptions.split_by,
                        help="чем делить на train и test: film — целыми фильмами, part — целыми частями")
    parser.add_argument("--yes", action="store_true", help="заменить существующий dataset_foto/ без вопроса")
    args = parser.parse_args(argv)
    layout = cli.layout_from(args)
    # The stage (pandas, Pillow, scikit-learn) loads after parsing: --help and a wrong flag answer at once.
    from pedpatterns.dataset import build
    from pedpatterns.labels.labelled import duplicates_note, load_labeled_segments
    from pedpatterns.labelstudio import agreement

    known = patterns.load_patterns(args.patterns)
    labeled = load_labeled_segments(layout, args.labels, min_share=args.min_share, known_patterns=known)
    for line in skipped_lines(labeled.problems):
        print(line)
    if labeled.duplicates:
        print(duplicates_note(labeled.duplicates))

    old = build.existing_images(layout)
    if old and not cli.confirm(
        f"В {layout.dataset_foto.name}/ уже есть датасет ({old} изображений). Заменить его новым?",
        assume_yes=args.yes,
    ):
        print("Ничего не изменено.")
        return 0

    summary = build.build_dataset(layout, labeled, known, cli.options_from(args, BuildOptions))
    vocabulary = list(dict.fromkeys([*known, *labeled.patterns]))
    print(f"\nДатасет собран: {layout.dataset_foto}")
    print(build.format_summary(summary, vocabulary, known))
    if summary.agreement is not None:
        print()
        print(agreement.format_agreement(summary.agreement))
        print(f"Таблицы согласия: {layout.relative(layout.dataset_agreement_csv)} (для Excel) и "
              f"{layout.relative(layout.dataset_agreement_json)}; они же — в карточке датасета на Hub.")
    print("\nДальше: python upload_dataset.py (загрузка на Hugging Face Hub).")
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
