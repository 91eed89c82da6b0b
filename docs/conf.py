"""Sphinx configuration of the ssr-rmt documentation (MyST Markdown, MathJax, sphinx-gallery).

The build is offline: no intersphinx, no remote images; MathJax is *referenced* from its CDN in the
HTML (the browser loads it when a page is viewed), nothing is fetched while building.

One build-time hook lives here: ``source-read`` fills the CLI reference (``cli.md``) with the
``--help`` of the parser :func:`ssr.cli._parser` and of every subcommand, so that page is generated,
never hand-copied. The generated ``derivations/*.md`` are included as they are.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # document this checkout, whatever `ssr-rmt` is installed
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # the gallery's small matrices (see numerics.threads)
os.environ.setdefault("PYTHONPATH", str(ROOT))  # Dask's spawned workers import this checkout too
if str(ROOT) not in os.environ["PYTHONPATH"].split(os.pathsep):
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), os.environ["PYTHONPATH"]])

project = "ssr-rmt"
author = "the ssr-rmt authors"
copyright = "2026, the ssr-rmt authors"
release = version = "0.1.0"

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
smartquotes = False  # keep "--dps" and quotes in help texts as typed
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "examples/GALLERY_HEADER.rst",
                    "sg_execution_times.rst",  # sphinx-gallery timing page: loads jQuery/DataTables from CDNs
                    "auto_examples/*.ipynb", "auto_examples/*.py", "auto_examples/*.zip",
                    "auto_examples/*.md5", "auto_examples/*.codeobj.json"]

# --- MyST ---------------------------------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
myst_dmath_double_inline = True

# --- autodoc ------------------------------------------------------------------------------------
autodoc_default_options = {"members": True, "member-order": "bysource", "show-inheritance": True}
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
autodoc_mock_imports: list[str] = []

# --- offline ------------------------------------------------------------------------------------
# no intersphinx; the only remote URL in the output is MathJax's script tag (loaded by the browser)
mathjax3_config = {"tex": {"tags": "ams"}}

# --- HTML ---------------------------------------------------------------------------------------
html_theme = "alabaster"
html_title = "ssr-rmt"
html_static_path: list[str] = []
html_theme_options = {
    "description": "random-matrix theory of masked self-supervised ridge regression",
    "fixed_sidebar": True,
    "page_width": "1100px",
    "sidebar_width": "240px",
}
html_sidebars = {"**": ["about.html", "navigation.html", "searchbox.html"]}

# --- the gallery (executed at build time) -------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "reset_modules": ("matplotlib",),
    "abort_on_example_error": True,
    "show_memory": False,
    "min_reported_time": 0,
    "capture_repr": ("_repr_html_", "__repr__"),
    "write_computation_times": False,  # its page would load jQuery/DataTables from CDNs
    # sphinx-gallery skips an example whose source is unchanged since the last build in this
    # checkout (docs/auto_examples/*.md5); SSR_DOCS_RERUN=1 executes every example (tests/test_docs.py)
    "run_stale_examples": os.environ.get("SSR_DOCS_RERUN") == "1",
}
suppress_warnings: list[str] = []


# --- CLI reference: generated from the parser ------------------------------------------------------
CLI_MARKER = "<!-- ssr-cli-help -->"


def cli_reference() -> str:
    """Markdown: the ``--help`` of ``ssr`` and of each subcommand, in the parser's order."""
    import argparse

    from ssr import cli

    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"  # argparse wraps to the terminal width: make it fixed
    try:
        parser = cli._parser()
        out = ["## `ssr`", "", "```text", parser.format_help().rstrip(), "```", ""]
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                helps = {choice.dest: choice.help for choice in action._choices_actions}
                for name, sub in action.choices.items():
                    out += [f"(cli-{name})=", f"## `ssr {name}`", ""]
                    if helps.get(name):
                        out += [helps[name][0].upper() + helps[name][1:] + ".", ""]
                    out += ["```text", sub.format_help().rstrip(), "```", ""]
    finally:
        if saved is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = saved
    return "\n".join(out)


def _source_read(app, docname, source):
    if docname == "cli" and CLI_MARKER in source[0]:
        source[0] = source[0].replace(CLI_MARKER, cli_reference())


def setup(app):
    app.connect("source-read", _source_read)
    return {"parallel_read_safe": True}
