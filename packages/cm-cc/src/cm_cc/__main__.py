"""``python -m cm_cc``: the ``cm-cc`` command."""

from .cli import main

main()
