"""MkDocs hook: let mkdocstrings find qdl's subpackages that live outside qdl/ in the source tree.

pyproject.toml installs `compiler/` as `qdl.compiler`, `runtime/` as
`qdl.runtime` and so on (`[tool.setuptools] package-dir`).  Griffe, which
reads the source for mkdocstrings, looks for `qdl.runtime` in `qdl/runtime/`
and cannot follow that mapping, so `qdl.Executor` (an import from
`qdl.runtime.executors`) would not resolve.  This hook lays the installed
package out in a temporary directory (a copy of qdl/, links to the
subpackages) and puts it first on the Python handler's search path.
"""

from __future__ import annotations

import atexit
import logging
import shutil
import tempfile
import tomllib
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import event_priority

log = logging.getLogger("mkdocs.hooks.api")

REPO = Path(__file__).resolve().parents[2]


def package_dirs() -> dict[str, Path]:
    """Package name -> source directory, from pyproject.toml."""
    with open(REPO / "pyproject.toml", "rb") as handle:
        mapping = tomllib.load(handle)["tool"]["setuptools"]["package-dir"]
    return {name: REPO / path for name, path in mapping.items()}


def installed_layout(root: Path) -> Path:
    """Files and links under `root` arranged as the packages install; returns `root`."""
    for name, source in sorted(package_dirs().items(), key=lambda item: item[0].count(".")):
        target = root.joinpath(*name.split("."))
        if "." in name:
            target.symlink_to(source, target_is_directory=True)
            continue
        # Copies, not links: Griffe resolves links and would look for the subpackages beside the originals.
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
    return root


@event_priority(100)  # before mkdocstrings' own on_config, which creates the handler
def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Put the laid-out package first on mkdocstrings' Python search path."""
    plugin = config.plugins.get("mkdocstrings")
    if plugin is None:
        return config
    root = Path(tempfile.mkdtemp(prefix="qdl-docs-api-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    python = plugin.config.handlers.setdefault("python", {})
    python["paths"] = [str(installed_layout(root)), *python.get("paths", [])]
    return config
