"""``python -m cm_vm``: the ``cm-vm`` command."""

from .cli import main

main()
