"""``python -m cm_nlp`` runs the ``cm-nlp`` command."""

from .cli import main

main()
