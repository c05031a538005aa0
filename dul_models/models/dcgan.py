"""DCGAN: a convolutional generator and discriminator trained against each other, optionally class-conditional.

Radford, Metz & Chintala, ICLR 2016, "Unsupervised representation learning with deep convolutional
generative adversarial networks" — on the GAN game of Goodfellow et al., NeurIPS 2014. Options: the
hinge loss (Lim & Ye 2017; Miyato et al. 2018), spectral normalisation of the discriminator (Miyato et
al., ICLR 2018, "Spectral normalization for generative adversarial networks"), a class-conditional
generator and a projection discriminator (Miyato & Koyama, ICLR 2018), an R1 gradient penalty on real
images (Mescheder et al., ICML 2018), extra 3×3 convolutions per resolution (`depth`).

Sample quality (FID, class histogram) is measured outside the model, in the feature space of the
dataset's classifier (`dul_models.features.sample_quality`, injected by `dul_models.train.evaluators`): Inception
weights cannot be fetched offline.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from dul_models.core.devices import autocast
from dul_models.core.errors import ConfigError
from dul_models.data import ImageDataset
from dul_models.models.adversarial import (
    LOSSES,
    diff_augment,
    discriminator_loss,
    generator_loss,
    r1_penalty,
    recalibrate_batch_norm,
    slerp,
)
from dul_models.models.averaging import ema_update
from dul_models.models.base import Batch, DULModel, ModelConfig, Recipe
from dul_models.models.gan_blocks import Discriminator, Generator

UPSAMPLINGS = ("transposed", "nearest")
PREVIEW_SEED = 0  # the fixed noise of the preview grid: the timeline shows the same z evolving


@dataclass
class DCGANConfig(ModelConfig):
    latent_dim: int = 64  # plenty for 10 digit classes; 100 (the paper's) trains no better on MNIST
    base_channels: int = 32  # channels 128/64 at H/4, H/2 (the classic MNIST DCGAN); 16 trains 4× faster
    loss: str = "non_saturating"  # Goodfellow's -log D(G(z)) for G: strong gradients early on
    spectral_norm: bool = False  # replaces batch norm in D; steadier with hinge loss, a bit slower
    lr_generator: float = 2e-4  # DCGAN paper: Adam 2e-4, betas (0.5, 0.999) for both players
    lr_discriminator: float = 2e-4
    d_steps_per_g_step: int = 1  # >1 = several D updates (fresh z, same real batch) per G update
    num_classes: int = 0  # > 0: class-conditional (label embedding in G, projection in D)
    upsampling: str = "transposed"  # "nearest": resize + 3×3 conv, no checkerboard, one more conv layer
    diff_augment: bool = False  # translate + cut out real AND fake images before D: D cannot memorise
    ema_decay: float = 0.0  # > 0: sample from an exponential moving average of G's weights (steadier)
    depth: int = 0  # extra 3×3 convs per resolution in G (transposed: at H/2 only) and D, after each resize
    r1_gamma: float = 0.0  # > 0: R1 penalty γ/2·|∇D(x)|² on real images (and no batch norm in D)

    def __post_init__(self) -> None:
        super().__post_init__()
        _, height, width = self.image_shape
        if height % 4 or width % 4 or height < 8 or width < 8:
            raise ConfigError(
                f"image height and width must be multiples of 4 and at least 8 (8×8, 28×28, 32×32 work), "
                f"got {height}×{width}"
            )
        if self.latent_dim < 1 or self.base_channels < 1:
            raise ConfigError("latent_dim and base_channels must be positive integers")
        if self.loss not in LOSSES:
            raise ConfigError(f"unknown loss {self.loss!r}; choose from: {', '.join(LOSSES)}")
        if not (self.lr_generator > 0 and self.lr_discriminator > 0):
            raise ConfigError("lr_generator and lr_discriminator must be > 0")
        if not 1 <= self.d_steps_per_g_step <= 10:
            raise ConfigError(f"d_steps_per_g_step must be in 1..10, got {self.d_steps_per_g_step!r}")
        if self.upsampling not in UPSAMPLINGS:
            raise ConfigError(
                f"unknown upsampling {self.upsampling!r}; choose from: {', '.join(UPSAMPLINGS)}"
            )
        if not 0.0 <= self.ema_decay < 1.0:
            raise ConfigError(f"ema_decay must be in [0, 1), got {self.ema_decay!r}")
        if not 0.0 <= self.r1_gamma <= 1000.0:
            raise ConfigError(f"r1_gamma must be in [0, 1000], got {self.r1_gamma!r}")
        if not 0 <= self.depth <= 4:
            raise ConfigError(f"depth must be in 0..4, got {self.depth!r}")
        if self.num_classes < 0 or self.num_classes == 1:
            raise ConfigError(f"num_classes must be 0 (unconditional) or >= 2, got {self.num_classes!r}")


class DCGAN(DULModel):
    """z ~ N(0, I) → generator → image; the discriminator scores real against generated."""

    family = "dcgan"
    config_cls = DCGANConfig
    title = "DCGAN (optionally class-conditional)"
    description = "Generator vs discriminator; samples scored by FID in a classifier's features."
    tiny_config = {"base_channels": 4, "latent_dim": 8}
    evaluators = ("sample_quality",)  # FID and class histogram in the dataset classifier's features
    recipes = (
        Recipe(
            name="dcgan-mnist5k",
            family="dcgan",
            dataset="mnist5k",
            title="DCGAN (R1 penalty, resize-conv G, averaged G)",
            model_config={
                "base_channels": 32,
                "latent_dim": 64,
                "loss": "non_saturating",
                "r1_gamma": 10.0,
                "ema_decay": 0.999,
                "upsampling": "nearest",
            },
            train={"steps": 22000, "batch_size": 64, "eval_every": 1000, "preview_every": 250, "seed": 0},
            requires=("classifier-mnist5k",),  # its features score the samples during training
        ),
    )

    def __init__(self, config: DCGANConfig) -> None:
        super().__init__(config)
        self.config: DCGANConfig = config
        self.generator = Generator(config)
        self.discriminator = Discriminator(config)
        # the averaged generator is a weight of the model (it is what samples); no gradients of its own
        self.generator_ema = (
            copy.deepcopy(self.generator).requires_grad_(False) if config.ema_decay > 0 else None
        )
        self._ema_stale = True  # its batch-norm statistics are re-estimated by refresh(), before saving

    # ---- sampling verbs -------------------------------------------------------------------------
    def latents(self, n: int, seed: int = 0, temperature: float = 1.0) -> torch.Tensor:
        """(n, latent_dim) noise drawn on the CPU from `seed` (same z on every device), scaled by temperature."""
        generator = torch.Generator().manual_seed(int(seed))
        return (torch.randn(n, self.config.latent_dim, generator=generator) * temperature).to(self.device)

    def default_labels(self, n: int) -> torch.Tensor | None:
        """Conditional models cycle through the classes (0, 1, …, K-1, 0, …); None when unconditional."""
        if not self.config.num_classes:
            return None
        return torch.arange(n, device=self.device) % self.config.num_classes

    @torch.no_grad()
    def generate(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Images (B, C, H, W) in [0, 1] from noise z (and labels for a conditional model)."""
        if self.config.num_classes and labels is None:
            labels = self.default_labels(z.shape[0])
        net = self.generator if self.generator_ema is None else self.generator_ema.eval()
        return (net(z, labels) + 1) / 2

    @torch.no_grad()
    def sample(
        self, n: int, *, generator: torch.Generator | None = None, temperature: float = 1.0
    ) -> torch.Tensor:
        device = self.device if generator is None else generator.device
        z = torch.randn(n, self.config.latent_dim, generator=generator, device=device).to(self.device)
        return self.generate(z * temperature)

    @torch.no_grad()
    def interpolate(
        self, z_a: torch.Tensor, z_b: torch.Tensor, steps: int = 10, label: int = 0
    ) -> torch.Tensor:
        """Images along the great circle from z_a to z_b (a conditional model keeps one class throughout)."""
        path = slerp(z_a, z_b, steps)  # (steps, latent_dim)
        labels = torch.full((steps,), label % max(1, self.config.num_classes), device=path.device)
        return self.generate(path, labels if self.config.num_classes else None)

    def many_samples(
        self, n: int, seed: int, temperature: float = 1.0
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """n samples (n, C, H, W) in chunks of 500 (chunk s uses seed + s), and their labels (classes in turn)."""
        labels = self.default_labels(n)
        chunks = [
            self.generate(
                self.latents(min(500, n - s), seed + s, temperature),
                None if labels is None else labels[s : s + 500],
            )
            for s in range(0, n, 500)
        ]
        return torch.cat(chunks).float(), labels

    # ---- training -------------------------------------------------------------------------------
    def prepare(self, dataset: ImageDataset) -> None:
        if self.config.num_classes and not dataset.has_labels:
            raise ConfigError(f"a conditional DCGAN needs labels; dataset {dataset.name!r} has none")

    def make_optimizers(self) -> list[torch.optim.Optimizer]:
        betas = (0.5, 0.999)  # DCGAN paper: β1 = 0.9 oscillates
        return [
            torch.optim.Adam(self.generator.parameters(), lr=self.config.lr_generator, betas=betas),
            torch.optim.Adam(self.discriminator.parameters(), lr=self.config.lr_discriminator, betas=betas),
        ]

    def _labels(self, batch: Batch) -> torch.Tensor | None:
        return batch.y if self.config.num_classes else None

    def _d(self, images: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        """D's logits, after DiffAugment when it is on (the same for real and generated images)."""
        if self.config.diff_augment:
            images = diff_augment(images)
        return self.discriminator(images, labels)

    def refresh(self) -> None:
        """Re-estimate the averaged generator's batch-norm statistics from 2,048 fixed-seed samples.

        Called by the Trainer (one thread) before previews, evaluations and saves, so a saved run holds
        calibrated statistics and a loaded model shared by app sessions never recalibrates.
        """
        if self.generator_ema is None or not self._ema_stale:
            return
        noise = torch.Generator().manual_seed(PREVIEW_SEED)

        def forward() -> None:
            z = torch.randn(256, self.config.latent_dim, generator=noise).to(self.device)
            self.generator_ema(z, self.default_labels(256))

        recalibrate_batch_norm(self.generator_ema, forward, batches=8)
        self._ema_stale = False

    def train_step(
        self, batch: Batch, optimizers: list[torch.optim.Optimizer], grad_clip: float | None
    ) -> dict[str, float]:
        """`d_steps_per_g_step` discriminator updates, then one generator update."""
        opt_g, opt_d = optimizers
        kind, labels = self.config.loss, self._labels(batch)
        real = batch.x * 2 - 1  # (B, C, H, W) in [-1, 1], the generator's range
        n = real.shape[0]
        for _ in range(self.config.d_steps_per_g_step):
            z = torch.randn(n, self.config.latent_dim, device=real.device)
            with autocast(real.device):
                with torch.no_grad():
                    fake = self.generator(z, labels)
                real_logits = self._d(real.requires_grad_(self.config.r1_gamma > 0), labels)
                fake_logits = self._d(fake, labels)
                loss_d = discriminator_loss(real_logits.float(), fake_logits.float(), kind)
            penalty = torch.zeros((), device=real.device)
            if self.config.r1_gamma > 0:
                penalty = self.config.r1_gamma / 2 * r1_penalty(real_logits.float(), real)
            opt_d.zero_grad(set_to_none=True)
            (loss_d + penalty).backward()
            if grad_clip is not None:
                nn.utils.clip_grad_norm_(self.discriminator.parameters(), grad_clip)
            opt_d.step()
        self.discriminator.requires_grad_(False)  # G's step needs gradients through D, not for D
        try:
            z = torch.randn(n, self.config.latent_dim, device=real.device)
            with autocast(real.device):
                loss_g = generator_loss(self._d(self.generator(z, labels), labels).float(), kind)
            opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            if grad_clip is not None:
                nn.utils.clip_grad_norm_(self.generator.parameters(), grad_clip)
            opt_g.step()
            if self.generator_ema is not None:
                ema_update(self.generator_ema, self.generator, self.config.ema_decay)
                self._ema_stale = True
        finally:
            self.discriminator.requires_grad_(True)
        loss_d, loss_g, penalty = float(loss_d.detach()), float(loss_g.detach()), float(penalty.detach())
        return {
            "loss": loss_d + loss_g + penalty,  # the Trainer's NaN check watches both players (and R1)
            "loss_d": loss_d,  # the adversarial part only (nats, or hinge units): comparable across runs
            "loss_g": loss_g,
            "d_real": float(torch.sigmoid(real_logits.detach().float()).mean()),  # mean D(x)
            "d_fake": float(torch.sigmoid(fake_logits.detach().float()).mean()),  # mean D(G(z))
        }

    @torch.no_grad()
    def preview(self, x: torch.Tensor) -> tuple[torch.Tensor, int]:
        """40 samples from fixed noise (seed 0): the same z every time, so the timeline shows learning."""
        nrow = self.config.num_classes or 10
        return self.generate(self.latents(4 * nrow, PREVIEW_SEED)).float().cpu(), nrow

    @torch.no_grad()
    def evaluate(
        self, x: torch.Tensor, y: torch.Tensor, *, quick: bool = False, **options: Any
    ) -> dict[str, Any]:
        """How D sees held-out real images and as many samples: mean D(x_test) and D(G(z)) as probabilities.

        D(x_test) well below the training batches' D(x) means D memorises its training set. Sample
        quality (FID, classes) comes from the `sample_quality` evaluator, which needs a classifier.
        """
        self.check_options(options)
        samples, labels = self.many_samples(x.shape[0], seed=1234)
        real_labels = y if self.config.num_classes else None
        return {"d_real_test": self._mean_d(x, real_labels), "d_fake_test": self._mean_d(samples, labels)}

    def _mean_d(self, images: torch.Tensor, labels: torch.Tensor | None) -> float:
        """Mean D output as a probability over images in [0, 1], in chunks of 500."""
        logits = [
            self.discriminator(images[s : s + 500] * 2 - 1, None if labels is None else labels[s : s + 500])
            for s in range(0, images.shape[0], 500)
        ]
        return float(torch.sigmoid(torch.cat(logits).float()).mean())
