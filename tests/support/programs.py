"""What the speaker tests share: system programs they need (installed with apt when missing) and ground truth.

The TTS voices (espeak-ng, festival with its Russian voice) and Chromium are system packages: a test that
needs one installs it here when it runs as root on Debian/Ubuntu, and is skipped, saying what to install,
where it cannot.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess

from tests.support.tiers import skip_missing

# program → the apt packages that provide it (festvox-ru: festival's Russian voice msu_ru_nsh_clunits)
APT_PACKAGES = {
    "espeak-ng": ["espeak-ng"],
    "text2wave": ["festival", "festvox-ru"],
    "chromium": ["chromium"],
}


@functools.cache
def _apt_install(packages: tuple[str, ...]) -> None:
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", *packages]
    if subprocess.run(install, env=env, capture_output=True, check=False, timeout=900).returncode != 0:
        # a fresh machine has no package lists yet
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, check=False, timeout=900)
        subprocess.run(install, env=env, capture_output=True, check=False, timeout=900)


def require_program(name: str) -> str:
    """The path of ``name``; installed with apt when missing (as root), else the test is skipped."""
    found = shutil.which(name)
    if not found:
        _apt_install(tuple(APT_PACKAGES[name]))
        found = shutil.which(name)
    if not found:
        skip_missing(f"нет программы {name}: установите {' '.join(APT_PACKAGES[name])} (sudo apt-get install …)")
    return found
