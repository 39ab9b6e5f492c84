"""``python -m cm_gas``: the ``cm-gas`` command."""

from .cli import main

main()
