from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from dul_models.core.errors import ConfigError
from dul_models.explore.vae import parse_dimensions
from dul_models.features.latent_space import manifold_grid, traversal_grid
from dul_models.metrics.disentanglement import mutual_information_gap
from dul_models.models import FAMILIES, Batch, build_model
from dul_models.models.blocks import ConvDecoder, ConvEncoder
from dul_models.models.vae import VAE, VAEConfig
from dul_models.train.trainer import TrainConfig, Trainer

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/models/conftest.py


def small(**overrides) -> VAE:
    torch.manual_seed(0)
    return VAE(VAEConfig(image_shape=(1, 8, 8), latent_dim=3, base_channels=4, **overrides))


@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32), (1, 8, 8)])
@pytest.mark.parametrize("decoder", ["conv", "broadcast"])
def test_shapes_of_every_verb(shape, decoder):
    model = VAE(VAEConfig(image_shape=shape, latent_dim=5, base_channels=4, decoder=decoder))
    x = torch.rand(3, *shape)
    mean, logvar = model.encode(x)
    assert mean.shape == logvar.shape == (3, 5)
    assert torch.equal(model.embed(x), mean)
    assert model.decode(mean).shape == model.reconstruct(x).shape == (3, *shape)
    with torch.no_grad():
        samples = model.sample(4, temperature=0.5, generator=torch.Generator().manual_seed(0))
    assert samples.shape == (4, *shape) and 0 <= float(samples.min()) and float(samples.max()) <= 1
    assert model.traverse(mean[0], 2, torch.linspace(-3, 3, 7)).shape == (7, *shape)
    for mode in ("linear", "slerp"):
        assert model.interpolate(mean[0], mean[1], 6, mode).shape == (6, *shape)


@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32), (1, 8, 8)])
def test_deeper_net_keeps_shapes_and_adds_residual_blocks(shape):
    shallow = VAE(VAEConfig(image_shape=shape, latent_dim=5, base_channels=4))
    deep = VAE(VAEConfig(image_shape=shape, latent_dim=5, base_channels=4, depth=2))
    x = torch.rand(3, *shape)
    mean, logvar = deep.encode(x)
    assert mean.shape == logvar.shape == (3, 5)
    assert deep.decode(mean).shape == deep.reconstruct(x).shape == (3, *shape)
    blocks = [m for m in deep.modules() if type(m).__name__ == "ResidualBlock"]
    assert len(blocks) == 8  # 2 per resolution × 2 resolutions × encoder and decoder
    assert sum(p.numel() for p in deep.parameters()) > sum(p.numel() for p in shallow.parameters())
    # depth 0 keeps the shared blocks and their parameter names, so runs saved before `depth` still load
    shared = {f"encoder.{k}" for k in ConvEncoder(shape, 4, 10).state_dict()}
    shared |= {f"decoder.{k}" for k in ConvDecoder(shape, 4, 5).state_dict()}
    assert set(shallow.state_dict()) == shared


def test_interpolation_endpoints_and_slerp_norm():
    model = small()
    z0, z1 = torch.tensor([1.0, 0.0, 0.0]), torch.tensor([0.0, 2.0, 0.0])
    for mode in ("linear", "slerp"):
        path = model.interpolate(z0, z1, 5, mode)
        assert torch.allclose(path[0], model.decode(z0[None])[0], atol=1e-5)
        assert torch.allclose(path[-1], model.decode(z1[None])[0], atol=1e-5)
    with pytest.raises(ConfigError, match="slerp"):
        model.interpolate(z0, z1, 5, "cubic")


def test_loss_matches_naive_elbo():
    """With the noise fixed, the loss is −E[log p(x|z)] + β·KL computed by hand."""
    model = small(beta=2.0)
    x = torch.rand(4, 1, 8, 8)
    torch.manual_seed(1)
    loss, metrics = model.loss(Batch(x=x, y=torch.zeros(4, dtype=torch.long)))
    torch.manual_seed(1)
    xb = torch.bernoulli(x)
    mean, logvar = model.encode(xb)
    z = mean + torch.randn_like(mean) * torch.exp(0.5 * logvar)
    p = torch.sigmoid(model.decode_logits(z))
    recon = -(xb * torch.log(p) + (1 - xb) * torch.log(1 - p)).sum() / 4
    kl = 0.5 * (mean**2 + logvar.exp() - 1 - logvar).sum() / 4
    assert metrics["recon"] == pytest.approx(recon.item(), rel=1e-4)
    assert metrics["kl"] == pytest.approx(kl.item(), rel=1e-4)
    assert loss.item() == pytest.approx((recon + 2.0 * kl).item(), rel=1e-4)


def test_continuous_likelihood_is_a_normalised_density():
    """Continuous Bernoulli: integrating exp(log p) over [0, 1] per pixel gives 1."""
    model = small(likelihood="continuous_bernoulli")
    logits = torch.tensor([-3.0, -0.2, 0.0, 0.7, 4.0]).view(5, 1, 1, 1)
    grid = torch.linspace(0, 1, 501)
    dens = torch.stack([model.log_likelihood(logits, torch.full_like(logits, v)).exp() for v in grid])
    integral = torch.trapezoid(dens, grid, dim=0)
    assert torch.allclose(integral, torch.ones(5), atol=1e-3)


def test_evaluate_reports_named_metrics_and_iwae_bounds():
    model = small()
    x = torch.rand(7, 1, 8, 8)
    metrics = model.evaluate(x, torch.zeros(7, dtype=torch.long), iwae_k=64)
    assert metrics["iwae_k"] == 64 and metrics["binarisation"] == "dynamic, fixed seed 0"
    assert metrics["neg_elbo"] == pytest.approx(metrics["recon"] + metrics["kl"], rel=1e-5)
    assert sum(metrics["kl_per_dim"]) == pytest.approx(metrics["kl"], rel=1e-3)
    assert metrics["iwae_nll"] <= metrics["neg_elbo"] + 1e-3  # the IWAE bound is tighter than the ELBO
    assert metrics["bits_per_dim"] == pytest.approx(metrics["iwae_nll"] / (math.log(2) * 64))
    binary = torch.bernoulli(x, generator=torch.Generator().manual_seed(0))  # the evaluation's binarisation
    means = model.encode(binary)[0]
    assert metrics["active_units"] == int((means.var(0) > 0.01).sum())  # Burda et al.'s definition
    again = model.evaluate(x, torch.zeros(7, dtype=torch.long), iwae_k=64)
    assert again["iwae_nll"] == metrics["iwae_nll"]  # fixed-seed binarisation and samples
    assert model.evaluate(x, x[:, 0, 0, 0].long(), quick=True)["iwae_k"] == 50
    with pytest.raises(ConfigError, match="iwae_k"):
        model.evaluate(x, x[:, 0, 0, 0].long(), samples=3)
    with torch.no_grad():  # a model whose codes ignore the input has no active unit
        model.encoder.fc.weight.zero_()
    assert model.evaluate(x, torch.zeros(7, dtype=torch.long), iwae_k=2)["active_units"] == 0


def test_iwae_chunking_gives_the_same_bound(monkeypatch):
    import dul_models.models.vae_terms as bound_module

    model = small()
    x = torch.rand(5, 1, 8, 8)
    y = torch.zeros(5, dtype=torch.long)
    big = model.evaluate(x, y, iwae_k=40)["iwae_nll"]
    monkeypatch.setattr(bound_module, "DECODES_PER_CALL", 7)  # many small chunks, same random stream
    chunked = model.evaluate(x, y, iwae_k=40)["iwae_nll"]
    assert abs(big - chunked) < 2.0  # same estimator; only the order of random draws differs


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"likelihood": "gaussian"}, "likelihood"),
        ({"beta": 0.0}, "beta"),
        ({"latent_dim": 0}, "latent_dim"),
        ({"kl_warmup_steps": -1}, "kl_warmup_steps"),
        ({"depth": -1}, "depth"),
        ({"depth": 5}, "depth"),
        ({"decoder": "mlp"}, "decoder"),
        ({"image_shape": (1, 30, 30)}, "multiples of 4"),
    ],
)
def test_bad_config_names_the_field(overrides, field):
    with pytest.raises(ConfigError, match=field):
        VAEConfig(**overrides)


def test_registry_and_bad_verb_input():
    model = build_model("vae", {"image_shape": [1, 8, 8], "latent_dim": "2", "base_channels": 2})
    assert model.config.latent_dim == 2 and "sample" in FAMILIES["vae"].capabilities
    with pytest.raises(ConfigError, match="latent index"):
        model.traverse(torch.zeros(2), 2, torch.zeros(3))
    with pytest.raises(ConfigError, match="temperature"):
        model.sample(2, temperature=-1)


def test_traversal_grid_sorts_rows_by_kl_and_validates():
    model = small()
    z = torch.zeros(3)
    grid = traversal_grid(model, z, [0.1, 5.0, 1.0], span=2.0, steps=5)
    assert grid.dims == [1, 2, 0] and grid.images.shape == (15, 1, 8, 8)
    assert grid.values[0] == -2.0 and grid.values[-1] == 2.0
    assert torch.allclose(grid.images[:5], model.traverse(z, 1, torch.linspace(-2, 2, 5)))
    with pytest.raises(ConfigError, match="traversal range"):
        traversal_grid(model, z, [0, 0, 0], span=50.0)
    with pytest.raises(ConfigError, match="steps"):
        traversal_grid(model, z, [0, 0, 0], steps=1)
    assert parse_dimensions("2, 0", 3) == [2, 0] and parse_dimensions(" ", 3) is None
    with pytest.raises(ConfigError, match="0…2"):
        parse_dimensions("5", 3)
    with pytest.raises(ConfigError, match="whole number"):
        parse_dimensions("a", 3)


def test_manifold_grid_uses_inverse_cdf_spacing(monkeypatch):
    model = small()
    seen = []
    monkeypatch.setattr(model, "decode", lambda z: seen.append(z) or torch.zeros(len(z), 1, 8, 8))
    manifold_grid(model, n=5, edge=0.1)
    z = seen[0].view(5, 5, 3)
    from scipy.stats import norm

    expected = torch.tensor(norm.ppf(np.linspace(0.1, 0.9, 5)), dtype=torch.float32)
    assert torch.allclose(z[0, :, 0], expected) and torch.allclose(z[:, 0, 1], expected.flip(0))
    assert torch.all(z[:, :, 2] == 0)


def test_mig_perfect_and_entangled_codes():
    rng = np.random.default_rng(0)
    factors = np.stack([rng.integers(0, 4, 4000), rng.integers(0, 5, 4000)], 1).astype(float)
    perfect = np.concatenate([factors + rng.normal(0, 0.01, factors.shape), rng.normal(size=(4000, 1))], 1)
    result = mutual_information_gap(perfect, factors, ["a", "b"])
    assert result.mig > 0.9 and result.best_latent == {"a": 0, "b": 1}
    duplicated = np.concatenate([perfect[:, :1], perfect[:, :1], perfect[:, 1:2], perfect[:, 1:2]], 1)
    assert mutual_information_gap(duplicated, factors, ["a", "b"]).mig < 0.05  # two latents share each factor
    with pytest.raises(ConfigError, match="factor names"):
        mutual_information_gap(perfect, factors, ["a"])


@pytest.mark.slow
def test_learning_improves_the_bound(digits):
    config = {"image_shape": digits.image_shape, "latent_dim": 8, "base_channels": 8, "lr": 3e-3}
    model = build_model("vae", config, seed=0)
    settings = TrainConfig(
        steps=150, batch_size=64, eval_every=10**6, preview_every=10**6, full_final_eval=False
    )
    trainer = Trainer(model, digits, settings)
    before = trainer.evaluate(quick=True)
    after = trainer.fit()
    assert after["iwae_nll"] < before["iwae_nll"] - 5  # nats per 8×8 image (44 nats = coin flips)
    assert after["active_units"] >= 2
