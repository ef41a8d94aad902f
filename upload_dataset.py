#!/usr/bin/env python3
"""Part 3: publish dataset_foto/ to the Hugging Face Hub in one commit."""

from __future__ import annotations

import sys

from pedpatterns import cli, fsutil
from pedpatterns.dataset.options import DEFAULT_LICENSE


def main(argv: list[str] | None = None) -> int:
    parser = cli.make_parser(
        "upload_dataset.py",
        "Часть 3. Загружает dataset_foto/ на Hugging Face Hub одним коммитом (токен — в файле .env). "
        "Прежняя версия на Hub заменяется целиком и остаётся в истории; новая получает метку-версию.",
    )
    parser.add_argument("--repo", type=cli.text, default=None,
                        help="куда загружать: <аккаунт>/<имя датасета> (по умолчанию: HF_DATASET_REPO из .env)")
    parser.add_argument("--public", action="store_true",
                        help="сделать датасет открытым для всех (по умолчанию приватный: на кадрах могут быть дети)")
    parser.add_argument("--license", type=cli.text, default=DEFAULT_LICENSE,
                        help="лицензия датасета в карточке (идентификатор Hugging Face)")
    parser.add_argument("--tag", type=cli.text, default=None,
                        help="метка версии (по умолчанию: дата, например v2026.11.25; при повторе — v2026.11.25-2)")
    parser.add_argument("--dry-run", action="store_true",
                        help="ничего не загружать: собрать то, что ушло бы на Hub, в папку hub_preview/ и показать")
    parser.add_argument("--yes", action="store_true", help="загрузить без вопроса-подтверждения")
    args = parser.parse_args(argv)
    layout = cli.layout_from(args)
    # The stage (pandas, Pillow, scikit-learn) loads after parsing: --help and a wrong flag answer at once.
    from pedpatterns.dataset import build, hub

    license_id = hub.check_license(args.license)
    private = not args.public
    visibility = "приватный" if private else "ОТКРЫТЫЙ"

    contents = build.read_dataset(layout)
    settings = hub.read_settings(layout, args.repo)
    tag = args.tag or hub.default_tag()

    if args.dry_run:
        repo_id = settings.repo_id
        if not repo_id:
            repo_id = hub.PLACEHOLDER_REPO
            print(f"Имя датасета не задано (HF_DATASET_REPO в .env или --repo): в карточке стоит «{repo_id}».")
        hub.check_repo_id(repo_id)
        staged = hub.stage(layout, contents, layout.hub_preview, repo_id=repo_id, license_id=license_id,
                           private=private)
        print(f"Пробный запуск: с Hub никто не связывался. Вот что было бы загружено в {repo_id} ({visibility}), "
              f"версия {tag}:")
        print(hub.describe_operations(hub.commit_operations(staged, []), remote_known=False))
        print(f"\nПапка с содержимым коммита (карточка — README.md): {staged}")
        return 0

    token = hub.require_token(settings, layout)
    repo_id = hub.check_repo_id(settings.repo_id)
    if not cli.confirm(f"Загрузить {contents.total} изображений в {repo_id} ({visibility})?", assume_yes=args.yes):
        print("Ничего не загружено.")
        return 0

    from huggingface_hub import HfApi

    tmp = fsutil.temp_dir(layout.root, "hub")  # pid-tagged: a parallel run never cleans it away
    try:
        staged = hub.stage(layout, contents, tmp / "staged", repo_id=repo_id, license_id=license_id,
                           private=private)
        api = HfApi(token=token)
        print(f"Загрузка в {repo_id} …")
        result = hub.publish(api, repo_id, staged, tag=tag, private=private, tag_is_explicit=args.tag is not None)
    finally:
        fsutil.remove(tmp)
    print(f"Готово: добавлено файлов — {result.added}, удалено устаревших — {result.deleted}.")
    print(f"Версия: {result.tag}. Коммит: {result.commit_url}")
    print(f"Датасет: https://huggingface.co/datasets/{repo_id} ({visibility})")
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
