"""The VAE page's tabs on the latent space of one run: traversals (and live sliders), the latent map and
interpolation. Each reads its widgets, calls `dul_models.explore.vae` and draws what comes back."""

from __future__ import annotations

import streamlit as st

from app import resources
from app.app_pages.vae import cached
from app.app_pages.vae.views import latent_sliders
from app.components.embedding_map import embedding_map
from app.components.images import image_grid
from app.components.runs import load_or_explain
from app.components.uploads import uploaded_image
from dul_models import DULError, ImageDataset, LoadedRun, find_run
from dul_models.explore import vae as explore

REBUILD = "Rebuild the bundled runs with `make checkpoints`."


def picked_index(data: ImageDataset, label: str, key: str, default: int = 0, size: int | None = None) -> int:
    """A test-image number, 0 … size − 1 (the data set's test split by default)."""
    last = (size or len(data.test)) - 1
    return int(st.number_input(label, 0, last, min(default, last), key=key, help=f"0 … {last}"))


def traversals(run: LoadedRun, data: ImageDataset, name: str, device: str) -> None:
    """Each latent swept around one image's code (rows by KL), then a slider per latent decoding live."""
    info, kl = run.info, explore.kl_per_dim(run.info)
    x_test = resources.test_images(name, device)
    st.markdown("Each row sweeps one latent over ±σ of the prior, the others held at the image's code.")
    c1, c2, c3, c4 = st.columns(4)
    index = picked_index(data, "Test image", "vae-index")
    upload = uploaded_image(
        "…or upload an image",
        data.image_shape,
        key="vae-upload",
        device=x_test.device,
        fallback=f"Using test image {index} instead.",
        container=c1,
    )
    span = c2.number_input("Range ± (prior σ)", 0.0, 10.0, 3.0, 0.5, key="vae-span")
    steps = c3.slider("Steps", 3, 15, 9, key="vae-steps")
    dims_text = c4.text_input("Latent indices (empty = all)", key="vae-dims", help="e.g. 0, 3, 5")
    image = explore.pick_image(x_test, index, upload)
    code = explore.encode(run, image)
    try:
        grid = explore.traversal(run, code, kl, span=span, steps=steps, dims_text=dims_text)
    except DULError as exc:
        st.error(str(exc))
    else:
        left, right = st.columns([1, 6])
        with left:
            image_grid(image, nrow=1, scale=3, caption="input")
        with right:
            rows = ", ".join(f"z{d} ({k:.2f})" for d, k in zip(grid.dims, grid.kl, strict=True))
            image_grid(
                grid.images,
                nrow=steps,
                scale=2,
                caption=f"Rows (KL nats): {rows}",
                download_name="traversal.png",
            )

    st.subheader("Move each latent yourself")
    order = sorted(range(len(kl)), key=lambda d: -kl[d])
    latent_sliders(
        lambda values: explore.decode_code(run, values),
        code,
        order,
        [f"z{d} (KL {kl[d]:.2f})" for d in order],
        key=f"vae-live-{info.name}-{index}-{upload is not None}",
    )


def latent_map(run: LoadedRun, data: ImageDataset, name: str, device: str) -> None:
    """The 2-D VAE's decoded manifold, then the test set's posterior means on a selectable map."""
    info, d = run.info, run.info.config["latent_dim"]
    z2 = info if d == 2 else find_run(info.family, name, latent_dim=2)
    if z2 is not None and (z2_run := load_or_explain(z2, "2-D VAE", advice=REBUILD)) is not None:
        st.subheader("The 2-D manifold")
        n = st.slider("Grid size", 5, 25, 15, key="vae-manifold-n")
        image_grid(
            explore.manifold(z2_run, n),
            nrow=n,
            scale=1,
            caption=f"{z2.label}: z₁ left→right, z₂ bottom→top at equal prior-probability steps (inverse normal CDF)",
            download_name="manifold.png",
        )
    st.subheader("Encoded test means")
    found = cached.latent_map(str(info.path), name, device)
    embedding_map(
        found.coords,
        resources.test_images(name, device),
        found.labels,
        data.class_names,
        key="vae-map",
        axis_titles=("z₁ (posterior mean)", "z₂ (posterior mean)")
        if d == 2
        else (f"PC 1 of the {d}-D posterior means", f"PC 2 of the {d}-D posterior means"),
        title=f"Posterior means of {len(found.labels):,} test images ({d}-D{' → PCA' if d > 2 else ''})",
        file_stem="vae-means",
    )


def interpolation(run: LoadedRun, data: ImageDataset, name: str, device: str) -> None:
    """Decoded paths between two test images' codes, straight and on the sphere."""
    c1, c2, c3 = st.columns(3)
    with c1:
        a = picked_index(data, "From test image", "vae-from", 0)
    with c2:
        b = picked_index(data, "To test image", "vae-to", 1)
    n_steps = c3.slider("Steps", 3, 16, 10, key="vae-interp-steps")
    strips = explore.interpolations(run, resources.test_images(name, device), a, b, n_steps)
    for mode, strip in strips.items():
        image_grid(
            strip,
            nrow=n_steps,
            scale=2,
            caption=f"{mode}: test image {a} → {b}",
            download_name=f"interp-{mode[:5]}.png",
        )
