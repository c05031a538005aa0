"""An embedding map: a 2-D scatter of codes, box/lasso selection, and what the selection holds.

Every representation page asks the same question of a map: *what did I just circle?* So the selected
images are shown, with the labels counted within the selection (not the whole set), and the map and
the selection can be downloaded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial

import numpy as np
import pandas as pd
import streamlit as st
import torch

from app.components.charts import embedding_scatter
from app.components.images import image_grid
from dul_models import UNLABELLED, label_counts

GALLERY_SIZE = 64  # selected images shown (and in the PNG)
# WebGL canvases at the screen's resolution, not plotly's default of twice it: four times fewer pixels to
# fill where WebGL runs on the CPU (SwiftShader in headless Chromium); points stay 5 px either way.
CHART_CONFIG = {"plotGlPixelRatio": 1}
# Two linked maps: above this many points a selection does not redraw the other map unless the user asks. At
# 73,728 points (WebGL on the CPU: SwiftShader) a box selection took 5.7-11.5 s with both maps redrawn and
# 4-6 s with one, drag included (benchmarks/bench_explorer_scale.py); a module constant so a test can lower it
LINK_LIVE_UP_TO = 20_000


def selected_rows(event: Mapping | None, n: int) -> list[int]:
    """The global rows (custom_data[0]) of a chart's selection event, sorted, those below `n` only (a
    selection made on a map of other images is dropped). A point's custom_data arrives as a list, or, from
    a NumPy array sent as a typed array, as an object {"0": row}."""
    rows = set()
    for point in ((event or {}).get("selection") or {}).get("points", []):
        data = point.get("customdata")
        if isinstance(data, Mapping):
            data = data.get("0", data.get(0))
        elif isinstance(data, (list, tuple)):
            data = data[0] if data else None
        if data is not None:
            rows.add(int(data))
    return sorted(r for r in rows if 0 <= r < n)


def embedding_map(
    coords: np.ndarray,
    images: torch.Tensor,
    labels: np.ndarray,
    class_names: Sequence[str],
    *,
    key: str,
    title: str,
    axis_titles: tuple[str, str],
    color: np.ndarray | None = None,
    color_title: str = "label",
    file_stem: str = "embedding",
    encoder: str = "",
    webgl: bool | None = None,
) -> list[int]:
    """Draw the map of (N, 2) `coords` (row i = images[i], labels[i]) and return the selected rows.

    Points are coloured by label, or by `color` (floats: a continuous scale; anything else: categories)
    under the legend title `color_title`. `key` is the chart's widget key (its selection lives in
    session_state[key]); `file_stem` names the downloads; `encoder` (its label) becomes a column of the
    CSVs, so a file downloaded from one of two linked maps still says which encoder placed its points.
    `webgl` is passed to `embedding_scatter` (None: WebGL above its threshold). The CSVs are written when
    their button is pressed: a 70,000-row map CSV took ~0.5 s, on every rerun, for each map.
    """
    lookup = np.array([*class_names, UNLABELLED], dtype=object)
    labels = np.asarray(labels)
    names = lookup[np.where((labels >= 0) & (labels < len(class_names)), labels, len(class_names))]
    if color is None:
        shown, categories = names, [*class_names, UNLABELLED]
    elif np.issubdtype(np.asarray(color).dtype, np.floating):
        shown, categories = np.asarray(color), None
    else:
        shown = np.asarray(color).astype(str)
        categories = sorted(set(shown.tolist()))
    fig = embedding_scatter(
        coords,
        shown,
        None if color is None else "label " + names,  # coloured by label: the trace's name says it
        color_title=color_title,
        categories=categories,
        axis_titles=axis_titles,
        title=title,
        webgl=webgl,
    )
    event = st.plotly_chart(
        fig, key=key, on_select="rerun", selection_mode=("points", "box", "lasso"), config=CHART_CONFIG
    )
    drawn = (event.get("selection") or {}) if event else {}
    chosen = selected_rows(event, len(coords))
    frame = pd.DataFrame(
        {
            "index": np.arange(len(coords)),
            "label": names,
            axis_titles[0]: coords[:, 0],
            axis_titles[1]: coords[:, 1],
            **({"encoder": encoder} if encoder else {}),
        }
    )
    columns = ", ".join(["index", "label", "coordinates", *(["encoder"] if encoder else [])])
    if chosen:
        _selection(chosen, images, labels, class_names, key=key, file_stem=file_stem)
        st.download_button(
            f"⬇ Selection CSV ({columns})",
            partial(frame.iloc[chosen].to_csv, index=False),
            f"{file_stem}-selection.csv",
            "text/csv",
            key=f"{key}-selection-csv",
            on_click="ignore",
        )
    elif drawn.get("box") or drawn.get("lasso"):  # a selection of zero points: say so, not an error
        st.caption(
            "Your selection holds no points: draw the box or lasso over some (double-click clears it)."
        )
    else:
        st.caption(
            "Draw a box or a lasso on the map (toolbar, top right) to see the images you select "
            "and how their labels are spread; click a point to see its image (shift-click adds more)."
        )
    st.download_button(
        f"⬇ Map CSV ({columns})",
        partial(frame.to_csv, index=False),
        f"{file_stem}.csv",
        "text/csv",
        key=f"{key}-csv",
        on_click="ignore",
    )
    return chosen


def _selection(
    chosen: list[int],
    images: torch.Tensor,
    labels: np.ndarray,
    class_names: Sequence[str],
    *,
    key: str,
    file_stem: str,
) -> None:
    """The first GALLERY_SIZE selected images, and the selection's labels: a table and its top label."""
    rows = label_counts(labels[chosen], class_names)
    top = rows[0]
    st.caption(
        f"{top['count']:,} of {len(chosen):,} selected ({top['share']:.0%}) are labelled {top['label']}"
        if top["label"] != UNLABELLED
        else f"{len(chosen):,} selected; most have no label"
    )
    gallery, table = st.columns([3, 1])
    with gallery:
        image_grid(
            images[chosen[:GALLERY_SIZE]],
            nrow=16,
            scale=1,
            caption=f"{len(chosen):,} selected (first {min(len(chosen), GALLERY_SIZE)} shown)",
            download_name=f"{file_stem}-selection.png",
            key=f"{key}-selection-png",
        )
    with table:
        st.dataframe(
            pd.DataFrame(rows),
            hide_index=True,
            column_config={
                "share": st.column_config.NumberColumn("share of selection", format="percent"),
            },
        )
