"""Altair chart builders (pure: data in, chart out) and the offline renderer set-up.

Sub-modules hold the builders of each analysis (``charts.intake``,
``charts.coupling``, ``charts.silent``, ``charts.capacity``); this module
owns how charts are rendered so that every notebook and report opens
without network access.
"""

from __future__ import annotations

import altair as alt

__all__ = ["use_offline_renderer"]


def use_offline_renderer() -> None:
    """Render altair charts as static SVG (vl-convert): no CDN needed to view them."""
    alt.data_transformers.disable_max_rows()
    alt.renderers.enable("svg")
