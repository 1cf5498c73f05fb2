"""Altair chart builders (pure: data in, chart out) and the offline renderer set-up.

Sub-modules hold the builders of each analysis (``charts.intake``,
``charts.coupling``, ``charts.silent``, ``charts.capacity``,
``charts.summary``); this module owns how charts are rendered so that every
notebook and report opens without network access.

Design
------
``use_offline_renderer()`` enables the ``hiddenspof`` altair renderer. Each
chart becomes one ``text/html`` output::

    <div class="hs-chart">
      <img class="hs-chart-static" alt="TITLE" src="data:image/svg+xml;base64,...">
      <script type="application/json" class="hs-chart-spec">{...}</script>
    </div>

* The static SVG (drawn offline by vl-convert) is the fallback: JupyterLab and
  any HTML viewer show it with no script and no network. It sits in an
  ``<img>`` so the SVG's internal ids (clip paths, gradients) cannot collide
  with those of other charts on the same page.
* The Vega-Lite spec is kept as inert JSON, escaped by :func:`json_for_script`
  so that client text (a component called ``</script>``) cannot end the
  element. The report template inlines the Vega bundle once per document
  (:func:`vega_bundle`) and upgrades every ``div.hs-chart`` to an interactive
  chart (tooltips) with vega-embed; if that fails the static image stays.
* Outputs carry no random ids, so re-running a notebook gives the same bytes.
"""

from __future__ import annotations

import base64
import functools
import html
import json
import re

import altair as alt

__all__ = [
    "RENDERER",
    "use_offline_renderer",
    "chart_html",
    "json_for_script",
    "vega_bundle",
    "vegalite_version",
    "THEME",
    "kind_scale",
    "severity_scale",
]

RENDERER = "hiddenspof"


def vegalite_version() -> str | None:
    """The Vega-Lite version (``"6.4"``) vl-convert should use to match altair, or None for its default."""
    import vl_convert as vlc

    wanted = alt.SCHEMA_VERSION.lstrip("v").split(".")
    major_minor = ".".join(wanted[:2])
    supported = vlc.get_vegalite_versions()
    if major_minor in supported:
        return major_minor
    same_major = [v for v in supported if v.split(".")[0] == wanted[0]]
    return same_major[-1] if same_major else None


def json_for_script(value: object) -> str:
    """JSON text safe inside an HTML ``<script>`` element.

    ``<``, ``>`` and ``&`` become ``\\u003c``, ``\\u003e``, ``\\u0026`` (and the
    JavaScript line separators U+2028/U+2029 are escaped), so no client string
    can close the element or open a comment; ``JSON.parse`` gives back the
    same value. Keys are sorted so the text is repeatable.
    """
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _title_of(spec: dict) -> str:
    """A chart's title as plain text (for the image's alt text)."""
    title = spec.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    if isinstance(title, list):
        title = " ".join(str(t) for t in title)
    return str(title) if title else "chart"


def chart_html(spec: dict) -> str:
    """The HTML of one chart: a static SVG image plus its inert, escaped Vega-Lite spec.

    Parameters
    ----------
    spec : dict
        A Vega-Lite specification (``chart.to_dict()``).

    Returns
    -------
    str
        A ``<div class="hs-chart">`` element, identical for identical specs.
    """
    import vl_convert as vlc

    svg = vlc.vegalite_to_svg(spec, vl_version=vegalite_version())
    data_uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
    alt_text = html.escape(_title_of(spec), quote=True)
    return (
        '<div class="hs-chart">'
        f'<img class="hs-chart-static" alt="{alt_text}" src="{data_uri}">'
        f'<script type="application/json" class="hs-chart-spec">{json_for_script(spec)}</script>'
        "</div>"
    )


def _render(spec: dict, **metadata) -> dict:
    """Altair renderer entry point: the mime bundle of one chart."""
    return {"text/html": chart_html(spec), "text/plain": f"<altair chart: {_title_of(spec)}>"}


alt.renderers.register(RENDERER, _render)

#: The altair theme of every chart: labels and legends never truncated, titles clear of the labels.
THEME = "hiddenspof"


@alt.theme.register(THEME, enable=False)
def _theme() -> alt.theme.ThemeConfig:
    """Chart defaults: no label or legend truncation (charts grow to fit), padded axis titles, one font."""
    font = "-apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
    return {
        "config": {
            "font": font,
            "axis": {"labelLimit": 0, "titlePadding": 12, "labelFontSize": 11, "titleFontSize": 12},
            "legend": {"labelLimit": 0, "titleLimit": 0, "symbolLimit": 0, "labelFontSize": 11},
            "title": {"anchor": "start", "fontSize": 14, "limit": 0, "offset": 10},
            "header": {"labelLimit": 0, "titleLimit": 0},
            "autosize": {"type": "pad"},
        }
    }


def kind_scale(kinds=None) -> alt.Scale:
    """The colour scale of component kinds (presentation.KIND_COLOURS), limited to ``kinds`` when given."""
    from ..presentation import KIND_COLOURS

    domain = [k for k in KIND_COLOURS if kinds is None or k in set(kinds)]
    extra = sorted({str(k) for k in (kinds or ())} - set(KIND_COLOURS))
    return alt.Scale(domain=domain + extra, range=[KIND_COLOURS[k] for k in domain] + ["#7f7f7f"] * len(extra))


def severity_scale() -> alt.Scale:
    """The colour scale of finding severities (presentation.SEVERITY_COLOURS), most severe first."""
    from ..presentation import SEVERITY_COLOURS

    return alt.Scale(domain=list(SEVERITY_COLOURS), range=list(SEVERITY_COLOURS.values()))


def use_offline_renderer() -> None:
    """Render altair charts offline: a static SVG that reports upgrade to interactive Vega.

    Call once near the top of a notebook. Nothing is fetched from the
    network, in JupyterLab or in the exported report.
    """
    alt.data_transformers.disable_max_rows()
    alt.renderers.enable(RENDERER)
    alt.theme.enable(THEME)


@functools.lru_cache(maxsize=1)
def vega_bundle() -> str:
    """The Vega, Vega-Lite and vega-embed JavaScript (about 0.9 MB), built offline by vl-convert.

    Assigns ``window.vegaEmbed``; safe to inline in a classic ``<script>``
    (checked: it holds no ``</script``).
    """
    import vl_convert as vlc

    bundle = vlc.javascript_bundle(vl_version=vegalite_version())
    # never let the bundle end its own element (today it holds no such text)
    return re.sub(r"</(script)", r"<\\/\1", bundle, flags=re.IGNORECASE)
