"""The explorer's "features computed elsewhere": an uploaded .npz / .csv becomes an encoder for the session."""

from __future__ import annotations

import streamlit as st

from dul_models import DULError, EncoderSpec, ImageDataset
from dul_models.explore import embeddings as explore

FILE_FOLDER = "emb-files::folder"  # this session's temporary folder of uploaded features files
FILE_SPECS = "emb-files::specs"  # dataset name → the file encoders added in this session
FILE_CHECKS = "emb-files::checks"  # (upload id, dataset, split) → the spec it became, or why it was refused


def feature_files(data: ImageDataset, name: str, split: str) -> tuple[list[EncoderSpec], EncoderSpec | None]:
    """An uploader for features computed elsewhere: each file that fits the chosen images becomes an encoder
    for this session, a file that does not is one st.error with the library's reason. Returns the session's
    file encoders of this data set and the one added on this run, if any."""
    with st.expander("Add an encoder: features computed elsewhere"):
        upload = st.file_uploader(
            "Features file (.npz or .csv, as `python -m dul_models embed` writes it)",
            type=list(explore.FEATURE_FILE_TYPES),
            key="emb-features-file",
            help="One row per image of the chosen images, in their order (or with an `index` column); "
            "labels, when the file has them, must agree with the data set's.",
        )
    added = st.session_state.setdefault(FILE_SPECS, {}).setdefault(name, [])
    if upload is None:
        return list(added), None
    checks = st.session_state.setdefault(FILE_CHECKS, {})
    check, new = (upload.file_id, name, split), None
    if check not in checks:  # once per file and choice of images, not on every rerun
        if FILE_FOLDER not in st.session_state:
            st.session_state[FILE_FOLDER] = explore.features_folder()
        try:
            new = explore.add_features_file(
                upload.getvalue(), upload.name, data, split, st.session_state[FILE_FOLDER]
            )
        except DULError as exc:
            checks[check] = str(exc)
        else:
            checks[check] = new
            if new not in added:
                added.append(new)
    if isinstance(checks[check], str):
        st.error(checks[check])
    return list(added), new
