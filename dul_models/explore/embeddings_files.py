"""Features computed elsewhere as an encoder of the explorer: an uploaded `.npz` / `.csv` (as `embed` writes
it) saved to the browser session's temporary folder and checked against the chosen split before it is
offered. The checks are the library's (`features.feature_files`): rows of another split or data set,
labels that disagree, NaNs, a damaged file each refuse the file with a message that says what to do.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path

from dul_models.core.errors import ConfigError, DULError
from dul_models.core.files import atomic_write_bytes
from dul_models.data import ImageDataset
from dul_models.features.encoders import EncoderSpec, features
from dul_models.features.feature_files import FILE_FORMATS, is_feature_file

__all__ = ["FEATURE_FILE_TYPES", "add_features_file", "features_folder"]

FEATURE_FILE_TYPES = tuple(fmt.lstrip(".") for fmt in FILE_FORMATS)  # the uploader's accepted endings
DIGEST_CHARS = 16  # of the content's SHA-256: the folder a file is saved in


def features_folder() -> str:
    """A new temporary folder for one browser session's uploaded features files."""
    return tempfile.mkdtemp(prefix="dul-features-")


def add_features_file(
    content: bytes, file_name: str, data: ImageDataset, split: str, folder: str | Path
) -> EncoderSpec:
    """Save an uploaded features file in `folder` and return it as an encoder, once its vectors are known
    to describe the `split` of `data` (the same check every map of it makes); otherwise remove it and
    raise the library's error (a ConfigError).

    The file keeps its name (the pickers show it) inside a folder named by its content: the caches key a
    file encoder by its path, so another file of the same name must never take an old file's place."""
    name = Path(file_name).name  # never a folder of the uploader's choosing
    if not is_feature_file(name):
        raise ConfigError(
            f"{name or 'the file'} is not a features file: give an .npz or .csv as `embed` writes it"
        )
    target = Path(folder) / hashlib.sha256(content).hexdigest()[:DIGEST_CHARS] / name
    if not target.is_file():
        atomic_write_bytes(target, content)
    spec = EncoderSpec("file", str(target))
    try:
        features(spec, data, split)
    except DULError:
        shutil.rmtree(target.parent, ignore_errors=True)
        raise
    return spec
