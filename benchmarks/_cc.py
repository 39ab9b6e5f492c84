"""Workflow files and commands for the cm-cc benchmarks, on both sides.

cloudmesh-cc 5.0.3 has no command that runs a workflow file: a small driver process loads it
with ``Workflow(filename=...)`` and calls ``run_topo()``. Its jobs must be ``NAME.sh`` files in
``~/.cloudmesh/workflow/WF/runtime/`` printing ``# cloudmesh status=done progress=100`` (its only
sign of completion); it runs with a scratch HOME because it deletes ``~/experiment`` on start.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import yaml
from _suite import BIN, Run, python_floor, reference_venv

CC_REFERENCE = ["cloudmesh-cc==5.0.3", "cloudmesh-common==4.3.195"]  # the only pair that imports
DONE_LINE = "#!/usr/bin/env bash\necho '# cloudmesh status=done progress=100'\n"

DRIVER = """
import os, sys
from pathlib import Path
from cloudmesh.cc.workflow import Workflow
folder = Path.home() / ".cloudmesh" / "workflow" / "bench"
os.chdir(folder)
flow = Workflow(filename=str(folder / "bench.yaml"))
sys.stdout = open(os.devnull, "w")
flow.run_topo(show=False)
done = sum(1 for job in flow.jobs.values() if job["status"] == "done")
sys.exit(0 if done == len(flow.jobs) else f"{done} of {len(flow.jobs)} done")
"""

# The floor of a run: the same number of `true` processes started as cm-cc starts its local jobs
# (asyncio, stdout on a pipe read to its end, own session), `parallel` at a time.
SPAWN_FLOOR = """
import asyncio, sys
count, parallel = int(sys.argv[1]), int(sys.argv[2])

async def one(gate):
    async with gate:
        p = await asyncio.create_subprocess_exec(
            "true", stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL, start_new_session=True)
        await p.stdout.read()
        assert await p.wait() == 0

async def main():
    if sys.version_info < (3, 12):  # child exits through pidfds, as cm-cc does (3.12 does by default)
        watcher = asyncio.PidfdChildWatcher()
        watcher.attach_loop(asyncio.get_running_loop())
        asyncio.set_child_watcher(watcher)
    gate = asyncio.Semaphore(parallel)
    await asyncio.gather(*(one(gate) for _ in range(count)))

asyncio.run(main())
"""


def native_file(path: Path, count: int, chain: bool) -> None:
    """A native cm-cc workflow of ``count`` ``true`` jobs, each needing the one before when ``chain``."""
    jobs = [
        {"name": f"j{i}", "exec": "true", **({"needs": [f"j{i - 1}"]} if chain and i else {})}
        for i in range(count)
    ]
    path.write_text(yaml.safe_dump({"name": path.stem, "jobs": jobs}, sort_keys=False))


def cloudmesh_file(folder: Path, count: int, chain: bool) -> Path:
    """A cloudmesh-cc form workflow (``bench.yaml``) and its ``NAME.sh`` scripts in ``folder``."""
    names = [f"j{i}" for i in range(count)]
    nodes = {n: {"name": n, "kind": "local", "host": "localhost", "script": f"{n}.sh"} for n in names}
    flow = {"workflow": {"nodes": nodes, "dependencies": [",".join(names)] if chain else []}}
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / f"{name}.sh").write_text(DONE_LINE)
        (folder / f"{name}.sh").chmod(0o755)
    target = folder / "bench.yaml"
    target.write_text(yaml.safe_dump(flow, sort_keys=False))
    return target


def cm_cc_run(flow: Path, home: Path) -> Run:
    """``cm-cc run FLOW -q`` with a fresh CM_HOME for every repetition."""
    env = {**os.environ, "CM_HOME": str(home)}
    return Run(
        [str(BIN / "cm-cc"), "run", str(flow), "-q"],
        flow.parent,
        env,
        before=lambda: shutil.rmtree(home, True),
    )


def spawn_floor(folder: Path, count: int, parallel: int) -> Run:
    """``count`` bare ``true`` processes, ``parallel`` at a time, from one Python process."""
    return Run([*python_floor(SPAWN_FLOOR), str(count), str(parallel)], folder)


def cloudmesh_cc_run(home: Path, count: int, chain: bool) -> Run | None:
    """The reference driver on a fresh copy of the workflow each time, or None without the reference."""
    python = reference_venv("cc-5.0.3", CC_REFERENCE)
    if python is None:
        return None
    driver = home / "driver.py"
    home.mkdir(parents=True, exist_ok=True)
    driver.write_text(DRIVER)
    folder = home / ".cloudmesh" / "workflow" / "bench"

    def before() -> None:
        shutil.rmtree(folder, ignore_errors=True)
        flow = cloudmesh_file(folder / "runtime", count, chain)
        flow.rename(folder / "bench.yaml")

    env = {**os.environ, "HOME": str(home)}
    return Run([str(python), str(driver)], home, env, before=before, warm=False)
