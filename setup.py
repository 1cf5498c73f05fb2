"""Build hook: copy the top-level notebooks/, data/ and docs/ into the package as ``hiddenspof/_resources``.

Everything else about the package is declared in pyproject.toml. The
repository keeps its notebooks, sample estates and documentation at the top level (where
analysts and reviewers expect them); a wheel must carry them as resources of
the ``hiddenspof`` package so that ``importlib.resources`` finds them in an
installed copy (see ``hiddenspof.resources``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
RESOURCE_FOLDERS = ("notebooks", "data", "docs")  # docs: the pages reports and notebooks cite
# generators, caches and checkpoints are no part of the shipped resources
IGNORED = shutil.ignore_patterns("*.py", "*.pyc", "__pycache__", ".ipynb_checkpoints", ".DS_Store")


class BuildPyWithResources(build_py):
    """``build_py`` that also copies notebooks/, data/ and docs/ into ``<build>/hiddenspof/_resources``."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install finds the top-level folders in the checkout
            return
        target = Path(self.build_lib) / "hiddenspof" / "_resources"
        if target.exists():
            shutil.rmtree(target)
        for folder in RESOURCE_FOLDERS:
            source = ROOT / folder
            if not source.is_dir():
                raise SystemExit(f"setup.py: the folder {source} is missing: cannot build hiddenspof without it")
            shutil.copytree(source, target / folder, ignore=IGNORED)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = super().get_outputs(include_bytecode)
        if self.editable_mode:
            return outputs
        target = Path(self.build_lib) / "hiddenspof" / "_resources"
        return outputs + [str(p) for p in sorted(target.rglob("*")) if p.is_file()]


setup(cmdclass={"build_py": BuildPyWithResources})
