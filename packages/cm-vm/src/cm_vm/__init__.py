"""cm-vm: one CLI for virtual machines across clouds."""

from ._version import __version__

__all__ = ["__version__"]
