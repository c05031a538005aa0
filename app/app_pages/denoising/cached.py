"""The Denoising page's slow calls, cached: the PSNR curve (also on disk, in the library) and the latent map.

Runs are passed as folder paths, so `cached` keys each entry by the run's weights' modification time too.
"""

from __future__ import annotations

from app import resources
from app.resources.cache import cached
from dul_models.explore import denoising as explore


@cached(show_spinner="Measuring PSNR at every noise level…", max_entries=32)
def denoising_curve(
    runs: tuple[tuple[str, str], ...],
    dataset_name: str,
    kind: str,
    levels: tuple[float, ...],
    device: str,
    n: int,
) -> list[dict]:
    """PSNR vs level for each (label, run path), a 3×3 median filter and the noisy input; the library keeps
    the rows on disk, so a restarted server reads them instead of measuring again."""
    loaded = {label: resources.loaded_run(path, device) for label, path in runs}
    return explore.psnr_curve_rows(loaded, resources.dataset(dataset_name), kind, device, levels, n)


@cached(show_spinner="Encoding the test set…", max_entries=16)
def latent_map(path: str, dataset_name: str, device: str, method: str) -> explore.LatentMap:
    """2-D projection of the test set's codes and their labels, keyed by run and dataset."""
    return explore.latent_map(resources.loaded_run(path, device), resources.dataset(dataset_name), method)
