"""The GANs page's train-live controls: GAN Lab's knobs for the adversarial game, and what the panel shows."""

from __future__ import annotations

import streamlit as st

from app.components.training_panel import PanelLabels, TrainRequest
from dul_models import ImageDataset, live_train_config
from dul_models.explore import gan as explore
from dul_models.explore import gan_training

FAMILY = "dcgan"
LRS = [5e-5, 1e-4, 2e-4, 5e-4, 1e-3]
INTRO = (
    "Play with the adversarial game as in GAN Lab: the learning rates of the two players, how many "
    "discriminator steps per generator step, the loss. Watch D(x) (real) and D(G(z)) (fake): if D wins "
    "outright, D(G(z)) → 0 and the generator stops learning. The preview always uses the same z, and the "
    "timeline slider replays it once training ends. The run is saved under your runs folder."
)
LABELS = PanelLabels(
    loss_keys=("loss_d", "loss_g", "d_real", "d_fake"),
    loss_title="loss (nats) · D output (probability)",
    eval_keys=("fid_classifier", "fid_real_baseline"),
    eval_title="Fréchet distance, classifier features",
    preview="the same 40 z every time",
    eval_warning=explore.collapse_warning,
)


def controls(data: ImageDataset, seed: int, device: str) -> TrainRequest:
    """GAN Lab-style controls for the adversarial game; batch and depth start at what fits the set."""
    defaults = gan_training.live_defaults(data)
    t1, t2, t3, t4 = st.columns(4)
    lr_g = t1.select_slider("Generator learning rate", LRS, 2e-4, key="tr-gan-lrg")
    lr_d = t2.select_slider("Discriminator learning rate", LRS, 2e-4, key="tr-gan-lrd")
    d_steps = t3.slider("D steps per G step", 1, 5, 1, key="tr-gan-dsteps")
    loss = t4.selectbox("Loss", explore.LOSSES, key="tr-gan-loss", format_func=lambda v: v.replace("_", "-"))
    t5, t6, t7, t8 = st.columns(4)
    latent = t5.select_slider("Latent size", [2, 8, 16, 32, 64, 100], 64, key="tr-gan-latent")
    batch = t6.select_slider("Batch size", defaults.batch_sizes, defaults.batch_size, key="tr-gan-batch")
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
        explore.UPSAMPLINGS,
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
        defaults.depth,
        key="tr-gan-depth",
        help="3×3 convolutions added to both G and D at each resolution: more capacity, slower steps. "
        "1 by default on 64-pixel sets, where D's two strided layers alone see 10-pixel patches",
    )
    return TrainRequest(
        FAMILY,
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
        live_train_config(
            seed=seed,
            device=device,
            steps=train_steps,
            batch_size=batch,
            eval_every=eval_every,
            preview_every=25,
        ),
        title=f"DCGAN {loss}, z={latent}, D×{d_steps}, lr {lr_g:g}/{lr_d:g}",
    )
