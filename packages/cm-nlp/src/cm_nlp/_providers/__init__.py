"""The providers cm-nlp ships, each registered as an entry point of ``cm_nlp.providers``."""
