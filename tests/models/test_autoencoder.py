from __future__ import annotations

import pytest
import torch

from dul_models.core.errors import ConfigError
from dul_models.models import Batch, build_model
from dul_models.models.autoencoder import Autoencoder, AutoencoderConfig


@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32), (1, 8, 8)])
def test_shapes_round_trip(shape):
    model = Autoencoder(AutoencoderConfig(image_shape=shape, latent_dim=5, base_channels=4))
    x = torch.rand(3, *shape)
    z = model.encode(x)
    assert z.shape == (3, 5)
    x_hat = model.decode(z).detach()
    assert x_hat.shape == (3, *shape)
    assert float(x_hat.min()) >= 0.0 and float(x_hat.max()) <= 1.0


def test_loss_is_summed_bce_per_image():
    torch.manual_seed(0)
    model = Autoencoder(AutoencoderConfig(image_shape=(1, 8, 8), corruption="none", base_channels=4))
    x = torch.rand(4, 1, 8, 8)
    loss, metrics = model.loss(Batch(x=x, y=torch.zeros(4, dtype=torch.long)))
    p = model.reconstruct(x)
    naive = -(x * torch.log(p) + (1 - x) * torch.log(1 - p)).sum() / 4
    assert loss.item() == pytest.approx(naive.item(), rel=1e-4)
    assert "psnr_db" in metrics


def test_denoising_model_sees_corrupted_input():
    model = Autoencoder(
        AutoencoderConfig(image_shape=(1, 8, 8), corruption="masking", noise_level=1.0, base_channels=4)
    )
    seen = []
    model.encoder.register_forward_pre_hook(lambda module, args: seen.append(args[0].clone()))
    x = torch.rand(2, 1, 8, 8) + 0.1
    model.loss(Batch(x=x.clamp(0, 1), y=torch.zeros(2, dtype=torch.long)))
    assert torch.count_nonzero(seen[0]) == 0  # masking at level 1 blanks every pixel


def test_evaluate_reports_gain_only_when_denoising():
    x = torch.rand(6, 1, 8, 8)
    y = torch.zeros(6, dtype=torch.long)
    plain = build_model("autoencoder", {"image_shape": (1, 8, 8), "corruption": "none", "base_channels": 4})
    noisy = build_model(
        "autoencoder", {"image_shape": (1, 8, 8), "corruption": "gaussian", "base_channels": 4}
    )
    assert "psnr_gain_db" not in plain.evaluate(x, y)
    metrics = noisy.evaluate(x, y)
    assert metrics["psnr_gain_db"] == pytest.approx(metrics["psnr_denoised_db"] - metrics["psnr_noisy_db"])


def test_preview_rows_are_clean_noisy_output():
    model = build_model("autoencoder", {"image_shape": (1, 8, 8), "base_channels": 4})
    x = torch.rand(5, 1, 8, 8)
    images, nrow = model.preview(x)
    assert nrow == 5 and images.shape == (15, 1, 8, 8)
    assert torch.equal(images[:5], x)


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"corruption": "blur"}, "corruption"),
        ({"noise_level": 1.5}, "noise_level"),
        ({"image_shape": (1, 30, 30)}, "multiples of 4"),
        ({"reconstruction_loss": "l1"}, "reconstruction_loss"),
        ({"latent_dim": 0}, "latent_dim"),
    ],
)
def test_bad_config_names_the_field(overrides, field):
    with pytest.raises(ConfigError, match=field):
        AutoencoderConfig(**overrides)
