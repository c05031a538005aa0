"""Does this browser have WebGL? Large embedding maps are drawn with Plotly's `scattergl`, which shows an
empty chart and a notice where WebGL is missing (some locked-down or GPU-less browsers); such a session gets
SVG maps instead: slow above a few thousand points, but drawn.

A tiny `st.components.v2` component asks the browser once per session; it reports only a *missing* WebGL,
so a browser that has it (headless Chromium here too, through SwiftShader) never pays an extra rerun.
"""

from __future__ import annotations

import streamlit as st

KEY = "webgl-probe"  # its state lives in session_state[KEY]
_JS = """
export default function ({ setStateValue }) {
  const canvas = document.createElement("canvas");
  const ok = Boolean(canvas.getContext("webgl2") || canvas.getContext("webgl"));
  if (!ok) setStateValue("missing", true);
}
"""


_PROBE = st.components.v2.component("dul_explorer.webgl_probe", js=_JS)  # registered once per process


def webgl_missing() -> bool:
    """True once the browser has said it has no WebGL (False until then, and where it has it)."""
    result = _PROBE(key=KEY, on_missing_change=lambda: None)
    return bool(getattr(result, "missing", False))
