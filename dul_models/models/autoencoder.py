"""Convolutional autoencoder, plain or denoising.

A denoising autoencoder (Vincent et al., ICML 2008, "Extracting and composing robust features with
denoising autoencoders") sees a corrupted image and is trained to output the clean one, so it has to
learn what digits look like rather than copy pixels. With `corruption="none"` it is the plain
autoencoder the page compares it with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from dul_models.core.errors import ConfigError
from dul_models.data.augment import CORRUPTIONS, corrupt
from dul_models.metrics.images import psnr
from dul_models.models.base import Batch, DULModel, ModelConfig, Recipe
from dul_models.models.blocks import ConvDecoder, ConvEncoder

RECONSTRUCTION_LOSSES = ("bce", "mse")


@dataclass
class AutoencoderConfig(ModelConfig):
    latent_dim: int = 32  # wide enough for sharp MNIST digits, small enough to map in 2-D with PCA
    base_channels: int = 32  # 32/64 channels train at thousands of images/s on a 2-core CPU
    corruption: str = (
        "mixed"  # every kind at random strengths, so one model serves all sliders; "none" = plain AE
    )
    noise_level: float = 0.6  # std for gaussian, pixel fraction for salt_pepper and masking (max for mixed)
    reconstruction_loss: str = "bce"  # pixel-wise BCE gives sharper digits than MSE on [0, 1] images
    lr: float = 2e-3

    def __post_init__(self) -> None:
        super().__post_init__()
        _, height, width = self.image_shape
        if height % 4 or width % 4:
            raise ConfigError(f"image height and width must be multiples of 4, got {height}×{width}")
        if self.latent_dim < 1 or self.base_channels < 1:
            raise ConfigError("latent_dim and base_channels must be positive integers")
        if self.corruption not in CORRUPTIONS:
            raise ConfigError(
                f"unknown corruption {self.corruption!r}; choose from: {', '.join(CORRUPTIONS)}"
            )
        if not 0.0 <= self.noise_level <= 1.0:
            raise ConfigError(f"noise_level must be in [0, 1], got {self.noise_level!r}")
        if self.reconstruction_loss not in RECONSTRUCTION_LOSSES:
            raise ConfigError(
                f"unknown reconstruction_loss {self.reconstruction_loss!r}; "
                f"choose from: {', '.join(RECONSTRUCTION_LOSSES)}"
            )


def _bundled(name: str, title: str, corruption: str, noise_level: float) -> Recipe:
    return Recipe(
        name=name,
        family="autoencoder",
        dataset="mnist5k",
        title=title,
        model_config={"corruption": corruption, "noise_level": noise_level},
        train={"epochs": 60, "seed": 0, "grad_clip": 10.0},  # as the bundled runs were trained
    )


class Autoencoder(DULModel):
    """x → encoder → z (latent_dim) → decoder → x̂; trained on corrupted inputs when denoising."""

    family = "autoencoder"
    config_cls = AutoencoderConfig
    title = "Convolutional autoencoder (plain or denoising)"
    description = "Compresses images to a latent vector and back; the denoising variant learns to undo noise."
    recipes = (
        _bundled("autoencoder-mnist5k-denoising", "Denoising AE (mixed noise)", "mixed", 0.6),
        _bundled("autoencoder-mnist5k-plain", "Plain AE (no noise in training)", "none", 0.0),
    )
    tiny_config = {"latent_dim": 3, "base_channels": 4}

    def __init__(self, config: AutoencoderConfig) -> None:
        super().__init__(config)
        self.config: AutoencoderConfig = config
        self.encoder = ConvEncoder(config.image_shape, config.base_channels, config.latent_dim)
        self.decoder = ConvDecoder(config.image_shape, config.base_channels, config.latent_dim)

    @property
    def is_denoising(self) -> bool:
        return self.config.corruption != "none" and self.config.noise_level > 0

    # inference verbs run without gradients; the loss calls the networks directly
    @torch.no_grad()
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)  # (B, latent_dim)

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)  # (B, C, H, W)

    @torch.no_grad()
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.decode_logits(z))

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """Clean estimate of x (which may itself be noisy): the denoiser's output."""
        return self.decode(self.encode(x))

    embed = encode

    def corrupt(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """The training corruption, at the configured level."""
        return corrupt(x, self.config.corruption, self.config.noise_level, generator=generator)

    def loss(self, batch: Batch) -> tuple[torch.Tensor, dict[str, float]]:
        x = batch.x  # (B, C, H, W) clean targets
        x_in = self.corrupt(x) if self.is_denoising else x
        logits = self.decoder(self.encoder(x_in))  # (B, C, H, W)
        if self.config.reconstruction_loss == "bce":
            # summed over pixels, averaged over images: nats per image, comparable across image sizes
            loss = F.binary_cross_entropy_with_logits(logits.float(), x, reduction="sum") / x.shape[0]
        else:
            loss = F.mse_loss(torch.sigmoid(logits.float()), x, reduction="sum") / x.shape[0]
        with torch.no_grad():
            train_psnr = psnr(torch.sigmoid(logits.float()), x).mean()
        return loss, {"psnr_db": float(train_psnr)}

    @torch.no_grad()
    def preview(self, x: torch.Tensor) -> tuple[torch.Tensor, int]:
        """Rows: clean, corrupted (as trained), output — the before/after the page is about."""
        generator = torch.Generator(device=x.device).manual_seed(0)
        x_in = self.corrupt(x, generator) if self.is_denoising else x
        return torch.cat([x, x_in, self.reconstruct(x_in)]).cpu(), x.shape[0]

    @torch.no_grad()
    def evaluate(
        self, x: torch.Tensor, y: torch.Tensor, *, quick: bool = False, **options: Any
    ) -> dict[str, float]:
        """PSNR (dB) of the plain reconstruction and, at the training corruption, noisy vs denoised."""
        self.check_options(options)
        generator = torch.Generator(device=x.device).manual_seed(1234)  # same noise every evaluation
        outputs: dict[str, list[torch.Tensor]] = {"clean": [], "noisy": [], "denoised": [], "mse": []}
        for start in range(0, x.shape[0], 500):
            chunk = x[start : start + 500]
            recon = self.reconstruct(chunk)
            outputs["clean"].append(psnr(recon, chunk))
            outputs["mse"].append((recon - chunk).pow(2).flatten(1).mean(1))
            if self.is_denoising:
                noisy = self.corrupt(chunk, generator)
                outputs["noisy"].append(psnr(noisy, chunk))
                outputs["denoised"].append(psnr(self.reconstruct(noisy), chunk))
        metrics = {
            "psnr_clean_db": float(torch.cat(outputs["clean"]).mean()),
            "mse_clean": float(torch.cat(outputs["mse"]).mean()),
        }
        if self.is_denoising:
            noisy_db = float(torch.cat(outputs["noisy"]).mean())
            denoised_db = float(torch.cat(outputs["denoised"]).mean())
            metrics.update(
                psnr_noisy_db=noisy_db, psnr_denoised_db=denoised_db, psnr_gain_db=denoised_db - noisy_db
            )
        return metrics
