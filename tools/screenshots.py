#!/usr/bin/env python3
"""The pictures of docs/images/, taken from a real run: the lesson report and the Label Studio labelling screen.

A picture in the docs that no longer looks like the program misleads a teacher more than no picture, so they are
made by a program, not by hand, and can be made again after any change:

    .venv/bin/python tools/screenshots.py          # or: make screenshots / python tools/make.py screenshots

What it does: builds the report of the Russian sample lesson in a temporary project exactly as tools/demo.py does
(find_patterns.py with the bundled multilingual Whisper), photographs report.html in headless Chromium, then starts
a private Label Studio (the tests' kind, pedpatterns.labelstudio.server), sets the project up from that same
lesson's tasks with the project's own label config, logs in and photographs the labelling screen of one task.
Chromium is driven over the DevTools protocol through a pipe (--remote-debugging-pipe), so no websocket library
is needed; Chromium itself is installed with apt-get when missing (Debian, Ubuntu). A tool for whoever changes
the pages, so Linux or macOS only (the pipe is handed over with posix_spawn).

docs/images/screenshots.json records digests of what shapes the pictures (:func:`input_digests`: the report's
HTML builder and the label config), and tests/tools/test_screenshots.py fails, naming this command, when they
changed since the pictures were taken.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from pedpatterns.errors import UserError

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"
RECORD = IMAGES / "screenshots.json"
REPORT_PNG = "report.png"
REPORT_TALK_PNG = "report-questions.png"
REPORT_MOMENTS_PNG = "report-moments.png"
LABELSTUDIO_PNG = "labelstudio.png"
WIDTH = 1280
MAX_BYTES = 400_000
PROJECT_TITLE = "Паттерны урока"
# What shapes the pictures: the report page's HTML builder (files, by path) and the label config it is labelled with.
INPUT_FILES = ("pedpatterns/report/page.py",)
LABEL_CONFIG = "label_config_xml(default_patterns())"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


class Failure(Exception):
    """A step that cannot go on: its Russian message is printed without a traceback, and the exit code is 1."""


# --- what the pictures depend on ---------------------------------------------------------------------------------


def digest(text: str) -> str:
    """SHA-256 of a text with its line ends made "\\n": a Windows checkout (CRLF) digests the same."""
    return hashlib.sha256(text.replace("\r\n", "\n").encode("utf-8")).hexdigest()


def input_digests() -> dict[str, str]:
    """Digest of each input that shapes the pictures; a picture is stale when one of them changed."""
    from pedpatterns.labelstudio.config import label_config_xml
    from pedpatterns.patterns import default_patterns

    digests = {path: digest((ROOT / path).read_text(encoding="utf-8")) for path in INPUT_FILES}
    digests[LABEL_CONFIG] = digest(label_config_xml(default_patterns()))
    return digests


def stale_inputs(record: dict[str, Any]) -> list[str]:
    """The inputs whose digest differs from the one recorded with the pictures."""
    recorded = record.get("inputs", {})
    return [name for name, value in input_digests().items() if recorded.get(name) != value]


# --- Chromium ----------------------------------------------------------------------------------------------------


def find_chromium() -> str | None:
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def ensure_chromium() -> str:
    """Chromium's executable; installed with apt-get (as root, or through sudo) on Debian and Ubuntu when missing."""
    found = find_chromium()
    if found:
        return found
    how = "sudo apt-get install chromium (Debian, Ubuntu), brew install --cask chromium (macOS)"
    if not (shutil.which("apt-get") and Path("/etc/debian_version").is_file()):
        raise Failure(f"Не найден браузер Chromium, а поставить его сам этот инструмент умеет только через apt-get. "
                      f"Поставьте его: {how} — и запустите команду снова.")
    sudo: list[str] = [] if os.geteuid() == 0 else ["sudo", "-n"]
    if sudo and not shutil.which("sudo"):
        raise Failure(f"Не найден браузер Chromium, а ставить пакеты можно только от root. Поставьте его: {how}.")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", "--no-install-recommends", "chromium",
                                                  "fonts-dejavu-core"]):
        print("→", " ".join(sudo + command), flush=True)
        if subprocess.run(sudo + command, env=env, check=False).returncode != 0:
            raise Failure(f"Не удалось поставить Chromium командой «{' '.join(sudo + command)}». "
                          f"Поставьте его сами: {how} — и запустите команду снова.")
    found = find_chromium()
    if not found:
        raise Failure(f"Chromium поставлен, но не найден в PATH. Проверьте установку: {how}.")
    return found


class Browser:
    """Headless Chromium over the DevTools protocol: JSON messages ended by NUL on fds 3 (in) and 4 (out)."""

    def __init__(self, executable: str, profile: Path) -> None:
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        argv = [executable, "--headless=new", "--remote-debugging-pipe", f"--user-data-dir={profile}",
                "--no-first-run", "--no-default-browser-check", "--disable-gpu", "--hide-scrollbars",
                "--force-device-scale-factor=1", "--lang=ru-RU", "--disable-extensions", "--mute-audio",
                *(["--no-sandbox"] if os.geteuid() == 0 else []), "about:blank"]
        devnull = os.open(os.devnull, os.O_RDWR)
        actions = [(os.POSIX_SPAWN_DUP2, to_browser_r, 3), (os.POSIX_SPAWN_DUP2, from_browser_w, 4),
                   (os.POSIX_SPAWN_DUP2, devnull, 0), (os.POSIX_SPAWN_DUP2, devnull, 1),
                   (os.POSIX_SPAWN_DUP2, devnull, 2)]
        self.pid = os.posix_spawn(executable, argv, os.environ, file_actions=actions, setsid=True)
        for fd in (to_browser_r, from_browser_w, devnull):
            os.close(fd)
        self._next_id = 0
        self._buffer = b""
        self._events: list[dict[str, Any]] = []
        self.session = ""

    def close(self) -> None:
        with suppress(Failure):
            self.call("Browser.close", timeout=10)
        for _ in range(100):
            if os.waitpid(self.pid, os.WNOHANG)[0]:
                break
            time.sleep(0.1)
        else:
            os.killpg(self.pid, 9)
            os.waitpid(self.pid, 0)
        os.close(self._to_browser)
        os.close(self._from_browser)

    def _receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_browser], [], [], left)[0]:
                raise Failure("Chromium не ответил вовремя.")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise Failure("Chromium завершился неожиданно.")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, params: dict[str, Any] | None = None, *, page: bool = False,
             timeout: float = 60) -> dict[str, Any]:
        """Send one command (to the page's session when ``page``) and return its result; events are kept."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if page:
            message["sessionId"] = self.session
        os.write(self._to_browser, json.dumps(message).encode("utf-8") + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self._receive(deadline)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise Failure(f"Chromium отказал в {method}: {answer['error'].get('message')}")
                return answer.get("result", {})
            if "method" in answer:
                self._events.append(answer)

    def wait_event(self, method: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            for event in self._events:
                if event["method"] == method:
                    self._events.remove(event)
                    return
            self._events.append(self._receive(deadline))

    def open_page(self, height: int) -> None:
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.call("Page.enable", page=True)
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": WIDTH, "height": height, "deviceScaleFactor": 1, "mobile": False}, page=True)

    def navigate(self, url: str, timeout: float = 120) -> None:
        self._events.clear()
        self.call("Page.navigate", {"url": url}, page=True)
        self.wait_event("Page.loadEventFired", timeout)

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True}, page=True)
        if "exceptionDetails" in result:
            raise Failure(f"Ошибка JavaScript на странице: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def wait_for(self, expression: str, what: str, timeout: float = 120) -> None:
        """Poll ``expression`` until true; on time out the page as it was is left in the temp folder to look at."""
        deadline = time.monotonic() + timeout
        while not self.evaluate(expression):
            if time.monotonic() > deadline:
                seen = Path(tempfile.gettempdir()) / "pedpatterns-screenshot-timeout.png"
                seen.write_bytes(self.screenshot({"x": 0, "y": 0, "width": WIDTH, "height": 1000}))
                raise Failure(f"Не дождался: {what}. Так выглядела страница: {seen}")
            time.sleep(0.5)

    def screenshot(self, clip: dict[str, float]) -> bytes:
        result = self.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                                                      "clip": {**clip, "scale": 1}}, page=True)
        return base64.b64decode(result["data"])


@contextmanager
def browser(executable: str) -> Iterator[Browser]:
    with tempfile.TemporaryDirectory(prefix="pedpatterns-chromium-") as profile:
        chromium = Browser(executable, Path(profile))
        try:
            yield chromium
        finally:
            chromium.close()


def small_png(data: bytes) -> bytes:
    """The picture as a compact PNG: optimised, and with a 256-colour palette when it is still over MAX_BYTES."""
    from PIL import Image

    image = Image.open(io.BytesIO(data)).convert("RGB")
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    if out.tell() > MAX_BYTES:
        out = io.BytesIO()
        image.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(out, "PNG", optimize=True)
    return out.getvalue()


# --- the report --------------------------------------------------------------------------------------------------


def build_report(project: Path) -> Path:
    """The Russian sample's report.html, made in ``project`` the way tools/demo.py makes it.

    Always written again, by the page code of now: a second run in the same ``--work`` folder reuses the processed
    parts (the long part), never an old page.
    """
    import demo  # tools/demo.py: its folder is first on sys.path

    from pedpatterns.layout import Layout

    layout = Layout(project)
    layout.ensure_top_folders()
    video = layout.new_videos / demo.RUSSIAN_SAMPLE
    if not video.exists():
        shutil.copy2(ROOT / "films" / demo.RUSSIAN_SAMPLE, video)
    command = [sys.executable, str(ROOT / "find_patterns.py"), "--root", str(project),
               "--video", demo.RUSSIAN_SAMPLE, *demo.RUSSIAN]
    print("→", " ".join(command), flush=True)
    if subprocess.run(command, cwd=project, stdin=subprocess.DEVNULL, check=False).returncode != 0:
        raise Failure("Отчёт по русскому учебному уроку не построен: причина — в сообщениях выше.")
    return layout.report_html(video.stem)


SECTION_BOX = """(() => {
  const wanted = %s;
  const boxes = [...document.querySelectorAll('section')]
    .filter(s => wanted.includes(s.querySelector('h2')?.textContent.trim()))
    .map(s => s.getBoundingClientRect());
  if (boxes.length !== wanted.length) return null;
  const top = Math.min(...boxes.map(b => b.top)) + window.scrollY;
  const bottom = Math.max(...boxes.map(b => b.bottom)) + window.scrollY;
  return {x: 0, y: Math.max(0, top - 16), width: %d, height: bottom - top + 32};
})()"""


def shoot_report(chromium: Browser, report: Path) -> dict[str, bytes]:
    """The top of the report (the notice and the lesson's cards), its questions and waits, its moments."""
    chromium.open_page(1000)
    chromium.navigate(report.as_uri())
    chromium.wait_for("document.fonts.status === 'loaded' && [...document.images].every(i => i.complete)",
                      "картинки отчёта")
    pictures = {REPORT_PNG: chromium.screenshot({"x": 0, "y": 0, "width": WIDTH, "height": 1000})}
    for name, wanted in ((REPORT_TALK_PNG, ["Вопросы и ожидание ответа"]),
                         (REPORT_MOMENTS_PNG, ["Моменты, которые стоит посмотреть"])):
        box = chromium.evaluate(SECTION_BOX % (json.dumps(wanted, ensure_ascii=False), WIDTH))
        if box is None:
            raise Failure(f"В отчёте нет разделов {', '.join(wanted)}: поправьте tools/screenshots.py под новую "
                          "страницу.")
        box["height"] = min(box["height"], 1400)
        pictures[name] = chromium.screenshot(box)
    return pictures


# --- Label Studio ------------------------------------------------------------------------------------------------


LOGIN = """(() => {
  const password = document.querySelector('input[name=password]');
  if (!password) return false;
  document.querySelector('input[name=email]').value = %s;
  password.value = %s;
  password.form.submit();
  return true;
})()"""
LABELLING_READY = ("document.querySelectorAll('.lsf-main-view input[type=checkbox]').length > 0 && "
                   "document.querySelectorAll('.lsf-main-view img').length > 0 && "
                   "[...document.querySelectorAll('.lsf-main-view img')].every(i => i.complete && i.naturalWidth > 0)")
LS_HEIGHT = 1360  # the whole labelling screen: frame, sound, transcript and every pattern's checkbox


def shoot_labelstudio(chromium: Browser, project: Path) -> dict[str, bytes]:
    """A private Label Studio serving ``project``: the project set up from its tasks, one task's labelling screen."""
    from pedpatterns import fsutil
    from pedpatterns.labelstudio.client import LabelStudioClient
    from pedpatterns.labelstudio.config import label_config_xml
    from pedpatterns.labelstudio.project import setup_project
    from pedpatterns.labelstudio.server import label_studio_server
    from pedpatterns.layout import Layout
    from pedpatterns.patterns import default_patterns

    layout = Layout(project)
    for part in layout.processed_parts():  # the config of now, even where the parts were processed before a change
        fsutil.write_text(layout.label_config(part), label_config_xml(default_patterns()))
    with tempfile.TemporaryDirectory(prefix="pedpatterns-ls-") as data_dir:
        print("Запускаю Label Studio (первый запуск — около двух минут)…", flush=True)
        with label_studio_server(project, Path(data_dir)) as server:
            client = LabelStudioClient(server.url, server.token)
            setup = setup_project(client, layout, PROJECT_TITLE)
            tasks = sorted(client.tasks(setup.project_id), key=lambda t: int(t["data"].get("segment", 0)))
            # A segment with a question in it: the screen shows the transcript the expert reads.
            task = next((t for t in tasks if "?" in str(t["data"].get("text", ""))), tasks[0])
            chromium.open_page(LS_HEIGHT)
            chromium.navigate(f"{server.url}/user/login/")
            if not chromium.evaluate(LOGIN % (json.dumps(server.username), json.dumps(server.password))):
                raise Failure("На странице входа Label Studio нет поля пароля: поправьте tools/screenshots.py.")
            chromium.wait_event("Page.loadEventFired")
            chromium.navigate(f"{server.url}/projects/{setup.project_id}/data?task={task['id']}")
            chromium.wait_for(LABELLING_READY, "экран разметки Label Studio")
            time.sleep(2.0)  # the audio's waveform and the layout settle
            return {LABELSTUDIO_PNG: chromium.screenshot({"x": 0, "y": 0, "width": WIDTH, "height": LS_HEIGHT})}


# --- the whole run -----------------------------------------------------------------------------------------------


def save(pictures: dict[str, bytes]) -> None:
    from PIL import Image

    from pedpatterns import fsutil

    record = json.loads(RECORD.read_text(encoding="utf-8")) if RECORD.is_file() else {}
    images = record.get("images", {})
    IMAGES.mkdir(parents=True, exist_ok=True)
    for name, data in pictures.items():
        data = small_png(data)
        fsutil.write_bytes(IMAGES / name, data)
        width, height = Image.open(io.BytesIO(data)).size
        images[name] = {"width": width, "height": height, "bytes": len(data)}
        print(f"записан docs/images/{name}: {width}×{height}, {len(data) // 1000} КБ")
    record = {"made_by": "python tools/screenshots.py", "inputs": input_digests(), "images": images}
    fsutil.write_text(RECORD, json.dumps(record, ensure_ascii=False, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Снимки отчёта и экрана разметки Label Studio для docs/images/.")
    parser.add_argument("--only", choices=["report", "labelstudio"], help="снять только это (по умолчанию — всё)")
    parser.add_argument("--work", type=Path, help="папка проекта для отчёта (по умолчанию — временная; "
                        "с этой папкой повторный запуск берёт уже обработанные части урока)")
    args = parser.parse_args(argv)
    try:
        executable = ensure_chromium()
        with tempfile.TemporaryDirectory(prefix="pedpatterns-screenshots-") as temp:
            project = (args.work or Path(temp) / "проект").resolve()
            project.mkdir(parents=True, exist_ok=True)
            report = build_report(project)
            pictures: dict[str, bytes] = {}
            with browser(executable) as chromium:
                if args.only in (None, "report"):
                    pictures.update(shoot_report(chromium, report))
                if args.only in (None, "labelstudio"):
                    pictures.update(shoot_labelstudio(chromium, project))
            save(pictures)
    except Failure as failure:
        print(f"Ошибка: {failure}", file=sys.stderr)
        return 1
    except UserError as exc:  # Label Studio not installed, not started…
        print(f"Ошибка: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Прервано.", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
