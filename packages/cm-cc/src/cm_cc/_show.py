"""What the local and the remote CLI share in showing a run's jobs."""

from __future__ import annotations

from typing import Annotated

import typer

from cm_common import Summary

AllOption = Annotated[bool, typer.Option("--all", help="every job as a table, however many")]


def not_done(hint: str) -> Summary:
    """A large run in short: jobs per state and the first of those not done; ``hint`` says how to see all."""
    return Summary(
        by="state", what="job", flagged=lambda job: job["state"] != "done", flagged_as="not done", hint=hint
    )
