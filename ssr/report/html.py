"""The report page around the figures: ``index.html`` from ``index.md`` and the environment lines
of its "Run" section."""
from __future__ import annotations

import html
import platform
import re


def render_html(markdown_text: str, title: str) -> str:
    r"""``index.html`` from ``index.md``: Markdown via ``markdown`` (tables), ``$…$`` kept as TeX.

    Math spans are set aside before the Markdown pass (so ``_`` and ``*`` inside them are not
    read as emphasis) and come back HTML-escaped inside ``<span class="math">``.

    >>> page = render_html("# T\n\nvalue $a_1 * b_2$ and *x*", "T")
    >>> "<span class=\"math\">$a_1 * b_2$</span>" in page, "<em>x</em>" in page
    (True, True)
    """
    import markdown

    spans = []

    def keep(match):
        spans.append(match.group(0))
        return f"MATHSPAN{len(spans) - 1}END"

    protected = re.sub(r"\$[^$\n]+\$", keep, markdown_text)
    body = markdown.markdown(protected, extensions=["tables"])
    body = re.sub(r"MATHSPAN(\d+)END", lambda m: f'<span class="math">{html.escape(spans[int(m.group(1))])}</span>', body)
    style = ("body{font-family:sans-serif;max-width:1200px;margin:2em auto;line-height:1.4}"
             "table{border-collapse:collapse;font-size:0.85em}td,th{border:1px solid #bbb;padding:3px 6px}"
             "img{max-width:100%}.math{font-family:serif;color:#333}")
    return (f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{html.escape(title)}"
            f"</title>\n<style>{style}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n")


def environment() -> list[str]:
    """Markdown lines: Python, platform and the versions of the numerical packages."""
    import importlib.metadata as metadata

    lines = [f"- Python {platform.python_version()} on {platform.system()} {platform.machine()}"]
    for package in ("ssr-rmt", "numpy", "scipy", "sympy", "mpmath", "matplotlib", "markdown"):
        try:
            lines.append(f"- {package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            lines.append(f"- {package} (not installed)")
    try:
        from threadpoolctl import threadpool_info

        blas = [f"{i.get('internal_api')} {i.get('version')} ({i.get('num_threads')} threads)"
                for i in threadpool_info() if i.get("user_api") == "blas"]
        lines.append(f"- BLAS: {', '.join(blas) or 'unknown'}")
    except ImportError:
        pass
    return lines
