"""The one error type that reaches the user.

Library code raises :class:`UserError` with a Russian message that names the problem and
what to do; the scripts turn it into that message and an exit code, never a traceback.
Anything else that escapes is a bug and is shown as one.
"""

from __future__ import annotations

import errno

# Exit codes: 1 for a problem with the user's input or environment, 2 for a wrong
# command line (argparse's own code), 130 for Ctrl-C (the shell's convention).
EXIT_USER_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class UserError(Exception):
    """A problem the user can fix; ``message`` is Russian and says what to do."""

    def __init__(self, message: str, exit_code: int = EXIT_USER_ERROR) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


# What to do about the file system's own refusals, by errno: the same kind of message as bad input.
_OS_ADVICE = {
    errno.ENOSPC: ("на диске не осталось места", "Освободите место на диске (или укажите папку проекта на другом "
                   "диске в --root) и запустите команду снова: готовые результаты сохранены."),
    errno.EDQUOT: ("исчерпана квота на диске", "Освободите место в пределах квоты и запустите команду снова."),
    errno.EACCES: ("нет прав доступа", "Разрешите чтение и запись (например, chmod u+rw) или укажите другую "
                   "папку проекта в --root."),
    errno.EPERM: ("операция не разрешена", "Проверьте права на файл и папку или укажите другую папку проекта."),
    errno.EROFS: ("диск доступен только для чтения", "Укажите папку проекта на диске, куда можно писать (--root)."),
    errno.ENAMETOOLONG: ("слишком длинное имя для файловой системы", "Сократите имя видео или папки проекта "
                         "и запустите команду снова."),
    errno.ENOENT: ("файл или папка не найдены", "Проверьте, что файл на месте, и запустите команду снова."),
    errno.EISDIR: ("на месте файла лежит папка", "Переименуйте эту папку и запустите команду снова."),
    errno.ENOTDIR: ("на месте папки лежит файл", "Переименуйте этот файл и запустите команду снова."),
    errno.EIO: ("ошибка чтения или записи диска", "Проверьте диск (или флешку) и скопируйте данные заново."),
    errno.EMFILE: ("открыто слишком много файлов", "Закройте лишние программы и запустите команду снова."),
}


def os_error_reason(exc: OSError) -> tuple[str, str]:
    """What the file system refused and what to do about it, in Russian, by errno."""
    return _OS_ADVICE.get(exc.errno or 0, (exc.strerror or str(exc), "Проверьте диск и права на файлы "
                                           "и запустите команду снова."))


def os_error_message(exc: OSError) -> str:
    """The Russian message for a refusal of the file system: which path, what happened, what to do."""
    what, advice = os_error_reason(exc)
    paths = [str(p) for p in (exc.filename, exc.filename2) if p]
    where = f" («{'» → «'.join(paths)}»)" if paths else ""
    return f"Не удалось записать или прочитать файл или папку{where}: {what}. {advice}"
