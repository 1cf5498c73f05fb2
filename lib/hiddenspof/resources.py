"""Where the files shipped with hiddenspof are: notebooks, sample estates, report templates.

An installed wheel carries the repository's top-level ``notebooks/``,
``data/`` and ``docs/`` folders as package resources, ``hiddenspof/_resources/notebooks``,
``.../data`` and ``.../docs`` (``setup.py`` copies them in at build
time), and the nbconvert templates as ``hiddenspof/templates``. Everything
is found through :mod:`importlib.resources`, never relative to the current
folder. Only a development checkout (an editable install, or ``lib/`` on
``PYTHONPATH``) has no ``_resources``: there, and only there, the top-level
folders of the repository are used instead.
"""

from __future__ import annotations

from importlib import resources as importlib_resources
from pathlib import Path

from .errors import HiddenspofError

__all__ = ["RESOURCES", "SAMPLES", "resource_dir", "notebooks_dir", "samples_dir", "docs_dir", "doc_pages", "sample",
           "notebook_path"]

#: name -> location inside the ``hiddenspof`` package
RESOURCES = {
    "notebooks": ("_resources", "notebooks"),
    "data": ("_resources", "data"),
    "docs": ("_resources", "docs"),
    "templates": ("templates",),
}
#: the sample estates in ``data/`` (what ``hiddenspof new`` copies as the worked example is ``teaching``)
SAMPLES = {
    "teaching": "teaching.yaml",
    "hybrid-enterprise": "hybrid-enterprise",
    "saas-single-cloud": "saas-single-cloud.xlsx",
}


def resource_dir(name: str) -> Path:
    """The folder of shipped files ``name`` (``notebooks``, ``data`` or ``templates``).

    Looks in the installed package first; a development checkout without
    ``_resources`` falls back to the repository's top-level folder of that
    name. Raises HiddenspofError naming what is missing when neither exists
    (a broken installation).
    """
    if name not in RESOURCES:
        raise ValueError(f"unknown resource {name!r}; known: {', '.join(sorted(RESOURCES))}")
    packaged = importlib_resources.files("hiddenspof").joinpath(*RESOURCES[name])
    if packaged.is_dir():
        if not isinstance(packaged, Path):  # e.g. a zip import: papermill needs real files
            raise HiddenspofError(f"hiddenspof's {name} are inside an archive ({packaged}); install hiddenspof unpacked (pip install)")
        return packaged
    checkout = Path(__file__).resolve().parents[2] / name
    if RESOURCES[name][0] == "_resources" and checkout.is_dir():
        return checkout
    raise HiddenspofError(
        f"hiddenspof's {name} folder is missing (looked in {packaged} and {checkout}): "
        "the installation is incomplete; reinstall the hiddenspof wheel"
    )


def notebooks_dir() -> Path:
    """The folder of the assessment notebooks (``0N_*.ipynb``, ``workshop/``)."""
    return resource_dir("notebooks")


def samples_dir() -> Path:
    """The folder of the sample estates."""
    return resource_dir("data")


def docs_dir() -> Path:
    """The folder of the documentation pages (``docs/*.md``): the pages notebooks and reports cite."""
    return resource_dir("docs")


def doc_pages() -> list[Path]:
    """Every shipped documentation page (``*.md`` of :func:`docs_dir`), in name order.

    Pages link only to each other (a test checks that every link resolves
    inside the repository), so a copy of all of them keeps every link working.
    """
    return sorted(docs_dir().glob("*.md"), key=lambda p: p.name)


def sample(name: str) -> Path:
    """The path of one sample estate by name (``teaching``, ``hybrid-enterprise``, ``saas-single-cloud``)."""
    if name not in SAMPLES:
        raise HiddenspofError(f"no sample estate {name!r}; the samples are {', '.join(sorted(SAMPLES))}")
    return samples_dir() / SAMPLES[name]


def notebook_path(value: str | Path) -> Path:
    """A path parameter of a notebook, resolved whatever the working directory the kernel runs in.

    Absolute paths, and relative paths that exist from the working directory,
    are used as given. A relative path that does not (a default such as
    ``../data/teaching.yaml``, written relative to the notebooks folder, run by
    papermill or a script from another folder) is tried relative to the
    notebooks folder; if that does not exist either, the path is returned as
    given, so the loader's error names it.
    """
    path = Path(value).expanduser()
    if path.is_absolute() or path.exists():
        return path
    beside = notebooks_dir() / path
    return beside.resolve() if beside.exists() else path
