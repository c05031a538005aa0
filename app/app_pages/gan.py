"""GANs: sample a DCGAN, walk its latent space, check it is not copying, count its classes, train live."""

from __future__ import annotations

import math

import pandas as pd
import plotly.express as px
import streamlit as st
import torch

from app import resources, state
from app.components.images import image_grid
from app.components.runs import picked_run, run_download
from app.components.sidebar import chosen_dataset
from app.components.training_panel import PanelLabels, TrainRequest, train_live
from app.pages import page_of
from dul_models.data import to_float
from dul_models.models.adversarial import LOSSES, collapse_warning
from dul_models.models.dcgan import UPSAMPLINGS
from dul_models.train.trainer import TrainConfig

PAGE = page_of(__file__).key
FAMILY = "dcgan"
SEED_KEY = "gan-seed"

st.title("🎭 GANs")
st.markdown(
    "A generator turns random noise z into images; a discriminator is trained to tell them from real "
    "ones, and the generator is trained to fool it (DCGAN, Radford et al. 2016). Below: samples, a walk "
    "between two of them in z-space, their nearest training images (is the GAN copying?) and how evenly "
    "they cover the classes. Sample quality is a Fréchet distance (FID) in the features of a small "
    "classifier trained on this dataset — Inception weights cannot be fetched offline, so these numbers "
    "are not comparable with published Inception FIDs."
)

name, device = state.dataset_name(), state.device_name()
data = chosen_dataset()

run = picked_run(
    PAGE,
    "main",
    FAMILY,
    label="GAN",
    what="GAN",
    load=lambda path: resources.prepared_gan(path, name, device),
)

if run is not None:
    info, model = run.info, run.model
    m = info.metrics
    scored = "fid_classifier" in m
    st.caption(
        f"Run: {info.label} · {info.config['loss'].replace('_', '-')} loss · latent size {info.config['latent_dim']}"
        + (
            f" · FID (classifier features) {m['fid_classifier']:.2f} vs real-data floor {m['fid_real_baseline']:.2f}"
            f" ({m['n_samples']:,} samples) · class entropy {m['class_entropy']:.3f} nats of"
            f" max {m['class_entropy_max']:.3f} · {m['modes_covered']} classes covered"
            if scored
            else ""
        )
    )
    scorer, scorer_note = resources.sample_scorer(name, device)
    if scorer is None:
        st.info(scorer_note or "No classifier for this dataset: FID and class checks are skipped.")
    else:
        st.caption(f"Feature space: {scorer.feature_space}.")

    st.header("Sample")
    st.session_state.setdefault(SEED_KEY, state.seed())
    for key in ("gan-from", "gan-to", "gan-pick"):  # keep sample numbers valid when the batch shrinks
        if st.session_state.get(key, 0) >= st.session_state.get("gan-count", 32):
            st.session_state[key] = 0
    c1, c2, c3, c4 = st.columns(4)
    seed = c1.number_input("Seed", 0, 10**6, step=1, key=SEED_KEY)
    count = c2.slider("Batch size", 8, 64, 32, 8, key="gan-count")
    temperature = c3.slider(
        "Temperature (z scale)",
        0.0,
        1.5,
        1.0,
        0.05,
        key="gan-temp",
        help="z ~ N(0, T²·I): below 1 trades variety for cleaner, more typical samples (the truncation trick).",
    )
    c4.button("🎲 Regenerate", on_click=lambda: st.session_state.__setitem__(SEED_KEY, int(seed) + 1))
    num_classes = model.config.num_classes
    labels, nrow, chosen = None, 8, None
    if num_classes:  # a conditional GAN draws the class it is asked for
        names = (
            list(data.class_names[:num_classes]) if data.has_labels else [str(k) for k in range(num_classes)]
        )
        pick_class = st.selectbox(
            "Class to draw",
            ["all classes in turn", *names],
            key="gan-class",
            help="The generator is class-conditional: the label goes in with the noise.",
        )
        if pick_class == "all classes in turn":
            labels, nrow = model.default_labels(count), num_classes  # one class per column
        else:
            chosen = names.index(pick_class)
            labels = torch.full((count,), chosen, dtype=torch.long, device=model.device)
    with torch.no_grad():
        z = model.latents(count, int(seed), temperature)
        samples = model.generate(z, labels)
    image_grid(
        samples,
        nrow=nrow,
        scale=2,
        caption=f"{count} samples, seed {seed}, T = {temperature:g}"
        + (
            ""
            if not num_classes
            else " · one class per column"
            if chosen is None
            else f" · class {pick_class}"
        ),
        download_name="samples.png",
    )

    st.header("Latent interpolation")
    i1, i2, i3 = st.columns(3)
    first = i1.number_input("From sample #", 0, count - 1, 0, key="gan-from")
    second = i2.number_input("To sample #", 0, count - 1, min(1, count - 1), key="gan-to")
    steps = i3.slider("Steps", 4, 16, 10, key="gan-steps")
    with torch.no_grad():
        label = int(labels[int(first)]) if labels is not None else 0  # the class of the first sample
        strip = model.interpolate(z[int(first)], z[int(second)], steps, label=label)
    image_grid(
        strip,
        nrow=steps,
        scale=3,
        caption=f"Spherical path in z from sample {first} to sample {second} (numbered row by row from 0)",
        download_name="interpolation.png",
    )

    if scorer is not None:
        st.header("Is it copying?")
        pick = st.number_input("Sample #", 0, count - 1, 0, key="gan-pick")
        indices, distances = scorer.nearest_training_images(samples[int(pick) : int(pick) + 1], k=8)
        neighbours = to_float(data.train.x[indices[0]]).to(samples.device)
        image_grid(
            torch.cat([samples[int(pick) : int(pick) + 1], neighbours]),
            nrow=9,
            scale=3,
            caption="The sample, then its 8 nearest training images in classifier features; distances: "
            + ", ".join(f"{d:.1f}" for d in distances[0].tolist()),
            download_name="nearest-training-images.png",
        )
        reference = resources.gan_reference_distance(name, device)
        st.markdown(
            f"Nearest training image at **{distances[0, 0]:.1f}**; a real test digit's nearest training "
            f"image is at a median **{reference:.1f}**. A sample much closer than real digits are, and "
            "looking identical, would suggest memorisation."
        )

        st.header("Class histogram of samples")
        n_hist = st.select_slider("Samples to classify", [200, 500, 1000, 2000], 1000, key="gan-hist-n")
        histogram = resources.gan_class_histogram(
            str(info.path), name, device, n_hist, int(seed), temperature
        )
        counts, entropy = histogram.counts, histogram.entropy
        frame = pd.DataFrame({"class": list(data.class_names[: len(counts)]), "samples": counts})
        fig = px.bar(frame, x="class", y="samples", title=f"Predicted classes of {n_hist:,} samples")
        fig.update_layout(xaxis_title="predicted class", yaxis_title="samples (count)", height=340)
        st.plotly_chart(fig, key="gan-hist")
        st.caption(
            f"Entropy {entropy:.3f} nats vs log {len(counts)} = {math.log(len(counts)):.3f} for perfectly even "
            "classes; a collapsed GAN piles its samples into a few bars."
        )
        if histogram.label_accuracy is not None:
            agreement = histogram.label_accuracy
            st.markdown(
                f"Conditional GAN: the samples were asked for each class in turn, so the bars should be even. "
                f"The classifier agrees with the requested class for **{agreement:.1%}** of them (label "
                "accuracy)"
                + (
                    f"; on real test digits it is right {scorer.test_accuracy:.1%} of the time."
                    if scorer.test_accuracy is not None
                    else "."
                )
            )
        st.download_button("⬇ CSV", frame.to_csv(index=False), "gan-class-histogram.csv", "text/csv")

    run_download(info)

LRS = [5e-5, 1e-4, 2e-4, 5e-4, 1e-3]


def train_controls() -> TrainRequest:
    """GAN Lab-style controls for the adversarial game."""
    t1, t2, t3, t4 = st.columns(4)
    lr_g = t1.select_slider("Generator learning rate", LRS, 2e-4, key="tr-gan-lrg")
    lr_d = t2.select_slider("Discriminator learning rate", LRS, 2e-4, key="tr-gan-lrd")
    d_steps = t3.slider("D steps per G step", 1, 5, 1, key="tr-gan-dsteps")
    loss = t4.selectbox("Loss", LOSSES, key="tr-gan-loss", format_func=lambda v: v.replace("_", "-"))
    t5, t6, t7, t8 = st.columns(4)
    latent = t5.select_slider("Latent size", [2, 8, 16, 32, 64, 100], 64, key="tr-gan-latent")
    batch = t6.select_slider("Batch size", [32, 64, 128], 64, key="tr-gan-batch")
    train_steps = t7.select_slider("Steps", [100, 300, 600, 1000, 2000, 4000], 1000, key="tr-gan-steps")
    eval_every = t8.select_slider("FID every N steps", [50, 100, 200, 500], 200, key="tr-gan-eval")
    t9, t10, t11 = st.columns(3)
    width = t9.select_slider(
        "Width (base channels)", [8, 16, 32], 16, key="tr-gan-width", help="16 trains ~4× faster than 32"
    )
    use_sn = t10.checkbox("Spectral norm in D", key="tr-gan-sn")
    conditional = t11.checkbox(
        "Class-conditional",
        key="tr-gan-cond",
        disabled=not data.has_labels,
        help="label embedding in G, projection D (Miyato & Koyama 2018). Watch for collapse within a class: "
        "on mnist5k (hinge, spectral norm) every sample of a class looked the same by step 2,000",
    )
    t12, t13, t14 = st.columns(3)
    upsampling = t12.selectbox(
        "Generator upsampling",
        UPSAMPLINGS,
        key="tr-gan-up",
        help="transposed convolutions (classic DCGAN) or nearest resize + 3×3 conv (no checkerboard, ~2× slower)",
    )
    use_ema = t13.checkbox(
        "Sample from an average of G (EMA)", key="tr-gan-ema", help="exponential moving average, decay 0.999"
    )
    use_aug = t14.checkbox(
        "DiffAugment (shift + cut-out before D)", key="tr-gan-aug", help="Zhao et al. 2020, for small data"
    )
    t15, t16, _ = st.columns(3)
    r1_gamma = t15.select_slider(
        "R1 penalty γ on D",
        [0.0, 1.0, 10.0],
        0.0,
        key="tr-gan-r1",
        help="γ/2·|∇D(real)|² (Mescheder et al. 2018): keeps D smooth on the data without spectral norm; "
        "~1.5× slower D steps",
    )
    depth = t16.select_slider(
        "Extra conv layers per resolution",
        [0, 1, 2],
        0,
        key="tr-gan-depth",
        help="3×3 convolutions added to both G and D at each resolution: more capacity, slower steps",
    )
    return TrainRequest(
        {
            "lr_generator": lr_g,
            "lr_discriminator": lr_d,
            "d_steps_per_g_step": d_steps,
            "loss": loss,
            "latent_dim": latent,
            "base_channels": width,
            "spectral_norm": use_sn,
            "num_classes": len(data.class_names) if conditional else 0,
            "upsampling": upsampling,
            "ema_decay": 0.999 if use_ema else 0.0,
            "diff_augment": use_aug,
            "r1_gamma": r1_gamma,
            "depth": depth,
        },
        TrainConfig(
            steps=train_steps,
            batch_size=batch,
            seed=state.seed(),
            device=device,
            eval_every=eval_every,
            preview_every=25,
            full_final_eval=False,
        ),
        title=f"DCGAN {loss}, z={latent}, D×{d_steps}, lr {lr_g:g}/{lr_d:g}",
    )


train_live(
    PAGE,
    FAMILY,
    "Play with the adversarial game as in GAN Lab: the learning rates of the two players, how many "
    "discriminator steps per generator step, the loss. Watch D(x) (real) and D(G(z)) (fake): if D wins "
    "outright, D(G(z)) → 0 and the generator stops learning. The preview always uses the same z, and the "
    "timeline slider replays it once training ends. The run is saved under your runs folder.",
    train_controls,
    labels=PanelLabels(
        loss_keys=("loss_d", "loss_g", "d_real", "d_fake"),
        loss_title="loss (nats) · D output (probability)",
        eval_keys=("fid_classifier", "fid_real_baseline"),
        eval_title="Fréchet distance, classifier features",
        preview="the same 40 z every time",
        eval_warning=collapse_warning,
    ),
)
