"""DCGAN: a convolutional generator and discriminator trained against each other, optionally class-conditional.

Radford, Metz & Chintala, ICLR 2016, "Unsupervised representation learning with deep convolutional
generative adversarial networks" — on the GAN game of Goodfellow et al., NeurIPS 2014. Options: the
hinge loss (Lim & Ye 2017; Miyato et al. 2018), spectral normalisation of the discriminator (Miyato et
al., ICLR 2018, "Spectral normalization for generative adversarial networks"), a class-conditional
generator and a projection discriminator (Miyato & Koyama, ICLR 2018), an R1 gradient penalty on real
images (Mescheder et al., ICML 2018), extra 3×3 convolutions per resolution (`depth`).

Sample quality is measured in the feature space of the dataset's bundled classifier (see
`classifier.py`): Inception weights cannot be fetched offline.
"""

from __future__ import annotations

import copy
import math
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from dul_models.data import ImageDataset
from dul_models.devices import autocast
from dul_models.errors import ConfigError
from dul_models.evaluation import class_entropy
from dul_models.models.adversarial import (
    LOSSES,
    diff_augment,
    discriminator_loss,
    generator_loss,
    r1_penalty,
    slerp,
)
from dul_models.models.base import Batch, DULModel, ModelConfig
from dul_models.sample_quality import SampleScorer, label_accuracy

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


def _g_extra(channels: int, depth: int) -> list[nn.Module]:
    """`depth` × (3×3 conv, batch norm, ReLU) at one resolution of G: more capacity, same size."""
    return [
        layer
        for _ in range(depth)
        for layer in (
            nn.Conv2d(channels, channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(channels),
            nn.ReLU(),
        )
    ]


def _d_extra(channels: int, depth: int, sn: Any) -> list[nn.Module]:
    """`depth` × (3×3 conv, LeakyReLU) at one resolution of D, as in Miyato et al.'s standard CNN."""
    return [
        layer
        for _ in range(depth)
        for layer in (sn(nn.Conv2d(channels, channels, 3, padding=1)), nn.LeakyReLU(0.2))
    ]


class Generator(nn.Module):
    """(B, latent_dim) noise [+ labels] → (B, C, H, W) images in [-1, 1]."""

    def __init__(self, config: DCGANConfig) -> None:
        super().__init__()
        channels, height, width = config.image_shape
        b = config.base_channels
        self.start = (4 * b, height // 4, width // 4)
        self.label_embedding = (
            nn.Embedding(config.num_classes, config.latent_dim) if config.num_classes else None
        )
        in_features = config.latent_dim * (2 if config.num_classes else 1)
        self.fc = nn.Linear(in_features, math.prod(self.start), bias=False)
        self.norm = nn.BatchNorm1d(math.prod(self.start))
        if config.upsampling == "nearest":  # Odena et al. 2016: resize-convolution avoids checkerboards
            layers = [
                nn.Upsample(scale_factor=2),
                nn.Conv2d(4 * b, 2 * b, 3, padding=1, bias=False),  # (B, 2b, H/2, W/2)
                nn.BatchNorm2d(2 * b),
                nn.ReLU(),
                *_g_extra(2 * b, config.depth),
                nn.Upsample(scale_factor=2),
                nn.Conv2d(2 * b, b, 3, padding=1, bias=False),  # (B, b, H, W)
                nn.BatchNorm2d(b),
                nn.ReLU(),
                *_g_extra(b, config.depth),
                nn.Conv2d(b, channels, 3, padding=1),  # (B, C, H, W)
                nn.Tanh(),
            ]
        else:
            layers = [
                nn.ConvTranspose2d(4 * b, 2 * b, 4, stride=2, padding=1, bias=False),  # (B, 2b, H/2, W/2)
                nn.BatchNorm2d(2 * b),
                nn.ReLU(),
                *_g_extra(2 * b, config.depth),
                nn.ConvTranspose2d(2 * b, channels, 4, stride=2, padding=1),  # (B, C, H, W)
                nn.Tanh(),
            ]
        self.deconv = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if self.label_embedding is not None:
            z = torch.cat([z, self.label_embedding(labels)], dim=1)  # (B, 2·latent_dim)
        h = F.relu(self.norm(self.fc(z))).view(-1, *self.start)  # (B, 4b, H/4, W/4)
        return self.deconv(h)


class Discriminator(nn.Module):
    """(B, C, H, W) images in [-1, 1] [+ labels] → (B,) logits of "real"."""

    def __init__(self, config: DCGANConfig) -> None:
        super().__init__()
        channels, height, width = config.image_shape
        b = config.base_channels
        sn = spectral_norm if config.spectral_norm else (lambda layer: layer)
        self.conv = nn.Sequential(
            sn(nn.Conv2d(channels, 2 * b, 4, stride=2, padding=1)),  # (B, 2b, H/2, W/2)
            nn.LeakyReLU(0.2),
            *_d_extra(2 * b, config.depth, sn),
            sn(nn.Conv2d(2 * b, 4 * b, 4, stride=2, padding=1)),  # (B, 4b, H/4, W/4)
            nn.Identity() if config.spectral_norm or config.r1_gamma else nn.BatchNorm2d(4 * b),
            nn.LeakyReLU(0.2),
            *_d_extra(4 * b, config.depth, sn),
        )
        flat = 4 * b * (height // 4) * (width // 4)
        self.fc = sn(nn.Linear(flat, 1))
        self.label_embedding = sn(nn.Embedding(config.num_classes, flat)) if config.num_classes else None

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        h = self.conv(x).flatten(1)  # (B, 4b·H/4·W/4)
        logits = self.fc(h).squeeze(1)  # (B,)
        if self.label_embedding is not None:  # projection: <embed(y), h> rewards matching the label
            logits = logits + (self.label_embedding(labels) * h).sum(1)
        return logits


@dataclass(frozen=True)
class ClassHistogram:
    counts: np.ndarray  # (K,) samples per predicted class
    entropy: float  # of the predicted classes, nats
    label_accuracy: float | None  # conditional models: share predicted as the class asked for


class DCGAN(DULModel):
    """z ~ N(0, I) → generator → image; the discriminator scores real against generated."""

    family = "dcgan"
    config_cls = DCGANConfig

    def __init__(self, config: DCGANConfig) -> None:
        super().__init__(config)
        self.config: DCGANConfig = config
        self.generator = Generator(config)
        self.discriminator = Discriminator(config)
        # the averaged generator is a weight of the model (it is what samples); no gradients of its own
        self.generator_ema = (
            copy.deepcopy(self.generator).requires_grad_(False) if config.ema_decay > 0 else None
        )
        self._ema_stale = True  # batch-norm statistics of generator_ema are estimated before sampling
        self._ema_lock = threading.Lock()  # app sessions share one loaded model: estimate them once
        # the classifier that scores samples is not a weight of this model: kept out of state_dict
        self._scorer: dict[str, SampleScorer] = {}

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
        if self.generator_ema is None:
            return (self.generator(z, labels) + 1) / 2
        with self._ema_lock:
            if self._ema_stale:
                self._recalibrate_ema()
        self.generator_ema.eval()  # its batch-norm statistics are estimated once, not by sampling
        return (self.generator_ema(z, labels) + 1) / 2

    @torch.no_grad()
    def sample(self, n: int, seed: int = 0, temperature: float = 1.0) -> torch.Tensor:
        return self.generate(self.latents(n, seed, temperature))

    @torch.no_grad()
    def interpolate(
        self, z_a: torch.Tensor, z_b: torch.Tensor, steps: int = 10, label: int = 0
    ) -> torch.Tensor:
        """Images along the great circle from z_a to z_b (a conditional model keeps one class throughout)."""
        path = slerp(z_a, z_b, steps)  # (steps, latent_dim)
        labels = None
        if self.config.num_classes:
            labels = torch.full(
                (steps,), label % self.config.num_classes, dtype=torch.long, device=path.device
            )
        return self.generate(path, labels)

    # ---- training -------------------------------------------------------------------------------
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

    @torch.no_grad()
    def _update_ema(self) -> None:
        """generator_ema ← decay·generator_ema + (1 − decay)·generator (weights only)."""
        if self.generator_ema is None:
            return
        pairs = zip(self.generator_ema.parameters(), self.generator.parameters(), strict=True)
        for averaged, current in pairs:
            averaged.lerp_(current, 1.0 - self.config.ema_decay)
        self._ema_stale = True

    @torch.no_grad()
    def _recalibrate_ema(self, batches: int = 8, batch_size: int = 256) -> None:
        """Re-estimate the averaged generator's batch-norm statistics from its own outputs.

        The live generator's running statistics do not match the averaged weights ("standing
        statistics", Brock et al. 2019): a fixed-seed pass of 2,048 noise vectors gives them.
        """
        norms = [m for m in self.generator_ema.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
        for norm in norms:
            norm.reset_running_stats()
            norm.momentum = None  # a cumulative average over the calibration batches
        self.generator_ema.train()
        noise = torch.Generator().manual_seed(PREVIEW_SEED)
        for _ in range(batches):
            z = torch.randn(batch_size, self.config.latent_dim, generator=noise).to(self.device)
            self.generator_ema(z, self.default_labels(batch_size))
        for norm in norms:
            norm.momentum = 0.1
        self._ema_stale = False

    def loss(self, batch: Batch) -> tuple[torch.Tensor, dict[str, float]]:
        """loss_d + loss_g on one batch without updating (for tests and inspection; training uses train_step)."""
        labels = self._labels(batch)
        z = torch.randn(batch.x.shape[0], self.config.latent_dim, device=batch.x.device)
        fake = self.generator(z, labels)
        real_logits = self.discriminator(batch.x * 2 - 1, labels)
        fake_logits = self.discriminator(fake, labels)
        loss_d = discriminator_loss(real_logits, fake_logits, self.config.loss)
        loss_g = generator_loss(fake_logits, self.config.loss)
        return loss_d + loss_g, {"loss_d": float(loss_d.detach()), "loss_g": float(loss_g.detach())}

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
            self._update_ema()
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

    # ---- scoring in the classifier's feature space (dul_models.sample_quality) -------------------
    def prepare(self, dataset: ImageDataset) -> None:
        """Load the dataset's classifier for FID, class histogram and nearest neighbours (once)."""
        if self.config.num_classes and not dataset.has_labels:
            raise ConfigError(f"a conditional DCGAN needs labels; dataset {dataset.name!r} has none")
        scorer = self._scorer.get("scorer")
        if scorer is None or (scorer.dataset_name, scorer.device) != (dataset.name, self.device):
            self._scorer["scorer"] = SampleScorer(dataset, self.device)

    @property
    def scorer(self) -> SampleScorer:
        if "scorer" not in self._scorer:
            raise ConfigError("call prepare(dataset) first: it loads the dataset's classifier")
        return self._scorer["scorer"]

    @property
    def scorer_note(self) -> str | None:
        """Why sample metrics are unavailable (no classifier run for the dataset), or None."""
        return self.scorer.note

    @property
    def feature_space(self) -> str | None:
        return self.scorer.feature_space

    def classify(self, images: torch.Tensor) -> torch.Tensor:
        """Class probabilities (B, K) of images in [0, 1] by the dataset's classifier."""
        return self.scorer.probs(images)

    def nearest_training_images(self, images: torch.Tensor, k: int = 5) -> tuple[torch.Tensor, torch.Tensor]:
        """Indices (B, k) into the training split and distances (B, k) in classifier features."""
        return self.scorer.nearest_training_images(images, k)

    def class_histogram(self, n: int = 1000, seed: int = 0, temperature: float = 1.0) -> ClassHistogram:
        """Predicted classes of n samples (a conditional model is asked for each class in turn)."""
        samples, labels = self._many_samples(n, seed, temperature)
        probs = self.classify(samples)
        return ClassHistogram(
            counts=np.bincount(probs.argmax(1).numpy(), minlength=probs.shape[1]),
            entropy=class_entropy(probs),
            label_accuracy=None if labels is None else label_accuracy(probs, labels),
        )

    def _many_samples(
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

    @torch.no_grad()
    def evaluate(
        self, x: torch.Tensor, y: torch.Tensor, *, quick: bool = False, **options: Any
    ) -> dict[str, Any]:
        """FID of samples vs x with its real-data floor, the class histogram of samples (and label accuracy).

        n samples = the training-set size (at most 500 when quick). Options: n_samples, min_share (a
        class is covered at >= this share of samples; default half of 1/K), seed.
        """
        self.check_options(options, ("n_samples", "min_share", "seed"))
        if not self.scorer.available:
            return {"fid_note": self.scorer.note}
        n_train = self.scorer.train_features.shape[0]
        n = int(options.get("n_samples") or (min(500, x.shape[0]) if quick else n_train))
        seed = int(options.get("seed", 1234))  # fixed: evaluations during training see the same z
        if not 2 <= n <= n_train:
            raise ConfigError(f"n_samples must be in 2..{n_train}, got {n}")
        samples, labels = self._many_samples(n, seed)
        return self.scorer.score(samples, x, options.get("min_share"), labels)
