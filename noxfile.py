"""One tooling layer for every package: `nox` runs them all, `nox -l` lists the sessions.

Each package session installs only that package (plus the local cm-common) and its test
extras into a fresh venv, which proves each piece installs and works alone.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

ROOT = Path(__file__).parent
PACKAGES = sorted(p.name for p in (ROOT / "packages").iterdir() if (p / "pyproject.toml").exists())
SERVICE_MARKERS = "slurm or ssh or browser"
# Debian packages a package's tests need, as {package: {binary: debian package}}.
SYSTEM_DEPS = {"cm-cc": {"dot": "graphviz"}, "integration": {"dot": "graphviz", "chromium": "chromium"}}
# Heavy distributions a package must not pull in.
MUST_NOT_PULL = {name: ["fastapi", "apache-libcloud", "networkx"] for name in ("cm-common", "cm-sbatch")}

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = [
    *(f"test-{name}" for name in PACKAGES),
    "lint",
    "typecheck",
    "integration",
    "example",
    "examples",
    "docs",
    "wheels",
]


def _system_deps(session: nox.Session, name: str) -> None:
    """Install missing Debian packages (as root), so `nox` works on a fresh machine."""
    missing = [deb for binary, deb in SYSTEM_DEPS.get(name, {}).items() if shutil.which(binary) is None]
    if missing and os.geteuid() == 0 and shutil.which("apt-get"):
        session.run("apt-get", "update", "-qq", external=True)
        session.run(
            "apt-get",
            "install",
            "-y",
            "-qq",
            *missing,
            external=True,
            env={"DEBIAN_FRONTEND": "noninteractive"},
        )


def _install(session: nox.Session, *names: str, extra: str = "test") -> None:
    """Install the local cm-common first (pip would look for it on PyPI otherwise), then ``names``."""
    common = f"packages/cm-common[{extra}]" if "cm-common" in names else "packages/cm-common"
    session.install(common, *(f"packages/{name}[{extra}]" for name in names if name != "cm-common"))


for _name in PACKAGES:

    @nox.session(name=f"test-{_name}")
    def _test(session: nox.Session, name: str = _name) -> None:
        """Unit tests of one package, in a venv holding only it."""
        _system_deps(session, name)
        _install(session, name)
        _check_not_pulled(session, name)
        session.run("pytest", f"packages/{name}/tests", "-m", f"not ({SERVICE_MARKERS})", *session.posargs)


def _check_not_pulled(session: nox.Session, name: str) -> None:
    """Fail when the package's venv holds a distribution it must not pull in."""
    banned = MUST_NOT_PULL.get(name)
    if banned:
        code = (
            "import importlib.metadata as m, sys; "
            "names = {x.metadata['Name'].lower() for x in m.distributions()}; "
            "found = [d for d in sys.argv[1:] if d in names]; "
            "sys.exit(f'pulled in: {found}' if found else 0)"
        )
        session.run("python", "-c", code, *banned, silent=True)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy over every package."""
    session.install("mypy", "types-PyYAML")
    _install(session, *PACKAGES)
    session.run("mypy")


@nox.session
def integration(session: nox.Session) -> None:
    """Tests that need the real services (Slurm, sshd, chromium), started here first."""
    session.run("bash", "services/up.sh", external=True)
    _system_deps(session, "integration")
    _install(session, *PACKAGES)
    # One pytest per folder: each package's tests have their own helper modules (helpers.py, ...).
    # Exit code 5 means the folder has no service tests.
    for tests in (*(f"packages/{name}/tests" for name in PACKAGES), "examples/tests"):
        session.run("pytest", tests, "-m", SERVICE_MARKERS, *session.posargs, success_codes=[0, 5])


@nox.session
def examples(session: nox.Session) -> None:
    """Every example of examples/ run as its README says (the Slurm variant runs in `integration`)."""
    _system_deps(session, "cm-cc")
    _install(session, *PACKAGES)
    session.run("pytest", "examples/tests", "-m", f"not ({SERVICE_MARKERS})", *session.posargs)


@nox.session(python=False)
def example(session: nox.Session) -> None:
    """The README's main job, end to end: a sweep run as a workflow, a summary and a graph."""
    session.run("bash", "examples/main.sh", external=True)
    code = (
        "import json, sys; s = json.load(open('examples/out/sweep/summary.json')); "
        "sys.exit(0 if s['experiments'] == 6 and len(s['results']) == 6 else f'bad summary: {s}')"
    )
    session.run("python3", "-c", code, external=True)
    if "<svg" not in (ROOT / "examples/out/sweep/workflow.svg").read_text():
        session.error("examples/out/sweep/workflow.svg is not an SVG")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the mkdocs site strictly; `nox -s docs -- serve` serves it on 127.0.0.1:8000 instead.

    Every package is installed: the CLI reference and the JSON Schemas are generated from them
    (docs_hooks/reference.py), the Python API from their docstrings (mkdocstrings).
    """
    session.install("mkdocs", "mkdocstrings[python]")
    session.install("packages/cm-common", *(f"packages/{name}" for name in PACKAGES if name != "cm-common"))
    if session.posargs[:1] == ["serve"]:
        session.run("mkdocs", "serve", *session.posargs[1:])
        return
    session.run("mkdocs", "build", "--strict", "--site-dir", str(Path(session.create_tmp()) / "site"))


def _build(session: nox.Session) -> list[Path]:
    """Build every package's wheel and sdist into dist/ and check them with twine; return the wheels."""
    session.install("build", "hatchling", "twine")
    dist = ROOT / "dist"
    for name in PACKAGES:
        for old in dist.glob(f"{name.replace('-', '_')}-*"):
            old.unlink()
        session.run("python", "-m", "build", "--no-isolation", "--outdir", str(dist), f"packages/{name}")
    built = [path for name in PACKAGES for path in dist.glob(f"{name.replace('-', '_')}-*")]
    session.run("twine", "check", "--strict", *map(str, built))
    return sorted(path for path in built if path.suffix == ".whl")


@nox.session
def dev(session: nox.Session) -> None:
    """A development venv in .nox/dev: every package editable with its test extra, ruff and mypy."""
    session.install("ruff", "mypy", "types-PyYAML")
    session.install("-e", "packages/cm-common[test]")
    session.install(
        *(arg for name in PACKAGES if name != "cm-common" for arg in ("-e", f"packages/{name}[test]"))
    )
    session.log(f"ready: source {Path(session.virtualenv.location).relative_to(ROOT)}/bin/activate")


@nox.session
def build(session: nox.Session) -> None:
    """Wheels and sdists of every package in dist/, checked: `pip install --find-links dist cm-sbatch`."""
    _build(session)


# Run inside each fresh venv: the wheel's public API imports (every name in __all__) and its
# console scripts answer --help and --version (with the wheel's version); no other cm package came.
_WHEEL_CHECK = """
import importlib, importlib.metadata as m, subprocess, sys
name, module = sys.argv[1], sys.argv[2]
package = importlib.import_module(module)
missing = [n for n in getattr(package, "__all__", []) if not hasattr(package, n)]
assert not missing, f"{module}.__all__ names missing: {missing}"
dist = m.distribution(name)
cm = sorted(d.metadata["Name"] for d in m.distributions() if d.metadata["Name"].startswith("cm-"))
allowed = {name, "cm-common"}
assert set(cm) <= allowed, f"{name} pulled in {sorted(set(cm) - allowed)}"
for script in [e.name for e in dist.entry_points if e.group == "console_scripts"]:
    path = f"{sys.prefix}/bin/{script}"
    subprocess.run([path, "--help"], check=True, capture_output=True)
    shown = subprocess.run([path, "--version"], check=True, capture_output=True, text=True).stdout
    assert f"{name} {dist.version}" in shown, f"{script} --version said {shown!r}"
print(f"{name} {dist.version}: {module} imports, its commands answer --help and --version")
"""


@nox.session
def wheels(session: nox.Session) -> None:
    """Build every package, then install each wheel alone into a fresh venv and try it there."""
    for wheel in _build(session):
        module = wheel.name.split("-")[0]
        name = module.replace("_", "-")
        venv = Path(session.create_tmp()) / f"wheel-{name}"
        shutil.rmtree(venv, ignore_errors=True)
        session.run("python", "-m", "venv", str(venv))
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--find-links", str(ROOT / "dist")]
        session.run(*pip, name, external=True)
        session.run(str(venv / "bin" / "python"), "-c", _WHEEL_CHECK, name, module, external=True)


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks side by side with the reference tools and the floors, then the report (not in the
    default run): `nox -s bench -- --full` for the big sizes, `-- --docs` to refresh docs/benchmarks.md."""
    session.install(
        "packages/cm-common",
        "packages/cm-sbatch",
        "packages/cm-cc[service]",
        "packages/cm-gas",
        "packages/cm-nlp",
        "packages/cm-vm[test]",  # bench_vm.py runs a moto EC2 server
        "matplotlib",
    )
    session.run("python", "benchmarks/run.py", *session.posargs)


# The core modules mutation testing covers, per package: pure logic and the adapters' decisions.
MUTATION_TARGETS = {
    "cm-common": ["_slurm.py", "_placeholders.py", "_variables.py", "_files.py"],
    "cm-sbatch": ["_values.py", "_rules.py", "_sweep.py"],
    "cm-cc": ["_dag.py", "_store.py", "_scheduler.py"],
}
_MUTMUT_CFG = """[mutmut]
source_paths = src
only_mutate =
{only}
pytest_add_cli_args_test_selection = tests
pytest_add_cli_args =
    -p
    no:cacheprovider
{markers}
"""


@nox.session
def mutation(session: nox.Session) -> None:
    """Mutation testing (mutmut) of the core modules; not in the default run.

    `nox -s mutation -- cm-common _slurm.py` picks a package and modules; `-- cm-cc --services`
    also runs the tests that need Slurm, sshd or chromium. Each package is copied to a scratch
    folder first, so the tree is never touched; the surviving mutants are listed at the end.
    """
    args = [a for a in session.posargs if a != "--services"]
    names = [a for a in args if a in MUTATION_TARGETS] or list(MUTATION_TARGETS)
    modules = [a for a in args if a.endswith(".py")]
    markers = "" if "--services" in session.posargs else f"    -m\n    not ({SERVICE_MARKERS})"
    session.install("mutmut>=3.3")
    _install(session, *names)
    for name in names:
        work = Path(session.create_tmp()) / f"mutation-{name}"
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(ROOT / "packages" / name, work, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(ROOT / "conftest.py", work / "conftest.py")  # the shared fixtures and services
        shutil.copytree(ROOT / "services", work / "services")
        module_dir = f"src/{name.replace('-', '_')}"
        only = "\n".join(f"    {module_dir}/{m}" for m in modules or MUTATION_TARGETS[name])
        (work / "setup.cfg").write_text(_MUTMUT_CFG.format(only=only, markers=markers))
        (work / "pyproject.toml").unlink()  # mutmut would look for its settings there
        with session.chdir(work):
            session.run("mutmut", "run")
            session.run("mutmut", "results")
