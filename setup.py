"""Build hook of srlib's wheel: it carries the published results, so that an installed srlib finds
its committed weights (``srlib.published``: ``srlib upscale --scale 4`` with no --weights,
``srlib weights``). Everything else about the package is in pyproject.toml.

Copied into ``srlib/_results/<kind>/<folder>/`` of the build: of every published result
(``results/<kind>/<folder>/`` holding the three files below) those three files (its compute from
scratch is recorded in its provenance). An editable install (``pip install -e .``) copies nothing:
it reads ``results/`` of the clone.
"""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
#: = srlib.published.PUBLISHED_FILES (tests/test_cli_weights.py checks that the wheel holds them).
PUBLISHED_FILES = ("weights_fp16.safetensors", "provenance.json", "metrics.json")


def results_files(results: Path = ROOT / "results"):
    """``(source, path under srlib/_results)`` of every file the wheel carries."""
    for folder in sorted(p for p in results.glob("*/*") if p.is_dir()):
        if all((folder / n).is_file() for n in PUBLISHED_FILES):
            for name in PUBLISHED_FILES:
                yield folder / name, Path(folder.parent.name, folder.name, name)


class BuildPyWithResults(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "srlib" / "_results"
        shutil.rmtree(target, ignore_errors=True)
        for src, rel in results_files():
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, target / rel)


setup(cmdclass={"build_py": BuildPyWithResults})
