"""``python -m cm_sbatch`` runs the ``cm-sbatch`` command."""

from .cli import main

main()
