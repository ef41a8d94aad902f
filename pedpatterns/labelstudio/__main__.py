"""``python -m pedpatterns.labelstudio``: the command line lives in :mod:`pedpatterns.cli.labelstudio`."""

import sys

from pedpatterns.cli import run
from pedpatterns.cli.labelstudio import main

sys.exit(run(main))
