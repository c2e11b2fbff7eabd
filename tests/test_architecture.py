"""The import contracts in pyproject.toml ([tool.importlinter]) hold, and they
are not a formality: a service that imports a view, or two services that
import each other, break them."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    """lint-imports on the copy of the package under `root` (ahead of the installed one on the path)."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=120, check=False,
    )


@pytest.fixture
def copy_of_the_package(tmp_path):
    shutil.copytree(REPO / "watchparty", tmp_path / "watchparty", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_import_contracts_hold(copy_of_the_package):
    result = lint_imports(copy_of_the_package)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("watchparty/rsvp/service.py", "from watchparty.rsvp import routes", "never import views"),
        ("watchparty/rsvp/service.py", "from watchparty.signups import service as signups", "Layers"),
        ("watchparty/signups/claims.py", "from watchparty.signups import service", "No cycles inside a package"),
    ],
)
def test_a_deliberate_cycle_or_upward_import_breaks_them(copy_of_the_package, module, line, contract):
    path = copy_of_the_package / module
    path.write_text(path.read_text() + f"\n{line}  # noqa\n")
    result = lint_imports(copy_of_the_package)
    assert result.returncode != 0
    assert contract in result.stdout and "BROKEN" in result.stdout
