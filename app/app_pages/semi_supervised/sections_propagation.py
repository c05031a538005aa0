"""The semi-supervised page's label-propagation sections: propagation over an encoder's features, on a map,
and accuracy against the label budget (the benchmark's lines, and label propagation's recomputed here)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import resources
from app.app_pages.semi_supervised import cached, charts, views
from app.components.embedding_map import embedding_map
from dul_models import DULError, EncoderSpec, ImageDataset, list_encoders
from dul_models.explore import semi_supervised as explore
from dul_models.explore import semi_supervised_propagation as propagation_explore


def propagation(
    data: ImageDataset, device: str, budget: int, label_seed: int, labelled: explore.LabelledSet | None
) -> tuple[EncoderSpec, int]:
    """Label propagation over the chosen encoder's features, on a map; returns (encoder, neighbours)."""
    st.header("Label propagation: no training at all")
    st.markdown(
        "Label propagation (Zhou et al. 2004) links every image to its nearest neighbours in an encoder's "
        "features (training and test images together) and lets the labels of the budget above diffuse along "
        "the links. It takes seconds, and it is only as good as the features' neighbourhoods."
    )
    name = data.name
    specs = list_encoders(name)
    label_of = {s: s.label for s in specs}
    c1, c2, c3 = st.columns([3, 1, 2])
    spec = c1.selectbox("Encoder", specs, format_func=label_of.get, key="semi-encoder")
    neighbours = c2.slider(
        "Neighbours", 2, 50, 10, key="semi-neighbours", help="Links per image in the graph."
    )
    colour_by = c3.radio("Colour the map by", propagation_explore.COLOUR_CHOICES, key="semi-colour")
    if labelled is None:
        st.info("Label propagation needs the label budget above.")
        return spec, neighbours
    try:
        found = cached.propagation(spec, name, device, budget, label_seed, neighbours)
        coords = cached.train_map(spec, name, device)
    except DULError as exc:
        st.error(f"{label_of[spec]}: {exc}")
        return spec, neighbours
    views.propagation_scores(found.result)
    embedding_map(
        coords,
        resources.split_images(name, "train", device),
        found.train_y,
        data.class_names,
        key="semi-map",
        title=f"{len(coords):,} training images, PCA of {label_of[spec]}: {len(found.labelled)} given labels, "
        "the rest propagated",
        axis_titles=("PC 1", "PC 2"),
        color=found.colours[colour_by],
        color_title=colour_by,
        file_stem=f"{name}-propagation-map",
        encoder=label_of[spec],
    )
    st.download_button(
        "⬇ Propagated labels CSV (split, index, label, propagated, given)",
        pd.DataFrame(found.table).to_csv(index=False),
        f"{name}-propagated-labels-{budget}-per-class.csv",
        "text/csv",
        key="semi-lp-csv",
    )
    return spec, neighbours


def budget_curve(spec: EncoderSpec, name: str, device: str, label_seed: int, neighbours: int) -> None:
    """The benchmark's lines (or why there are none), a button that recomputes label propagation's line
    on `spec`, then the chart, where its numbers came from, and its rows as a CSV."""
    st.header("Accuracy against the label budget")
    st.markdown(
        "The picture that answers *is unlabelled data worth it here?*: where the semi-supervised lines rise "
        "above the supervised one, the unlabelled images paid; where they meet, labels alone would have done."
    )
    key = "semi-curve"
    results, why = cached.budget_results()
    rows, note = propagation_explore.benchmark_lines(results, name) if results else ([], "")
    if results is None:
        st.info(
            f"The semi-supervised benchmark has not been run on this machine ({why}): `python "
            "benchmarks/run_all.py semi_supervised` writes its training lines. The label-propagation line "
            "can still be recomputed here."
        )
    elif note:
        st.info(note)
    budgets = ", ".join(map(str, cached.CURVE_BUDGETS))
    choice = (name, spec, label_seed, neighbours)
    if st.button(f"Recompute label propagation on {spec.label} at {budgets} labels per class", key=key):
        try:
            st.session_state[f"{key}-rows"] = (
                choice,
                cached.propagation_curve(spec, name, device, label_seed, neighbours),
            )
        except DULError as exc:
            st.error(f"Cannot recompute the curve: {exc}")
    stored = st.session_state.get(f"{key}-rows")
    mine = stored[1] if stored and stored[0] == choice else []
    if not (rows or mine):
        return
    st.plotly_chart(charts.budget_chart(rows + mine, cached.CURVE_BUDGETS), key=f"{key}-chart")
    notes = [charts.machine_note(results)] if rows else []
    if mine:
        notes.append(
            f"Dashed: recomputed on this page on {name} (label seed {label_seed}, {neighbours} neighbours) in "
            f"{sum(r['seconds'] for r in mine):.1f} s for the four budgets."
        )
    st.caption(" ".join(notes))
    st.download_button(
        "⬇ Chart rows CSV (method, labels per class, test accuracy)",
        pd.DataFrame(rows + mine).to_csv(index=False),
        f"{name}-accuracy-vs-label-budget.csv",
        "text/csv",
        key=f"{key}-csv",
    )
