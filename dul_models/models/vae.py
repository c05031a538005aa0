"""Variational autoencoder and β-VAE.

Kingma & Welling, ICLR 2014, "Auto-Encoding Variational Bayes": an encoder q(z|x) = N(μ, σ²) and a
decoder p(x|z) trained by maximising the evidence lower bound, ELBO = E_q[log p(x|z)] − KL(q(z|x) ‖ N(0, I)).
Higgins et al., ICLR 2017, "β-VAE": weighting the KL term by β > 1 pushes towards factorised,
often more interpretable latents at the price of blurrier reconstructions. Likelihoods are reported
with the importance-weighted bound of Burda et al., ICLR 2016 ("Importance Weighted Autoencoders"),
and active units follow the same paper: a dimension is active when Cov_x(E_q[z_d]) > 0.01.

Remedies for a β-VAE that does not disentangle, each an option: β-TCVAE's total-correlation weight
(Chen et al., NeurIPS 2018; `tc_beta`), a controlled capacity increase (Burgess et al. 2018,
"Understanding disentangling in β-VAE"; `capacity_nats`) and the spatial broadcast decoder (Watters et
al. 2019; `decoder="broadcast"`), the one that disentangles the shapes set at a CPU's budget.

Nothing here hides posterior collapse: no free bits, and KL warm-up is off unless asked for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from dul_models.core.errors import ConfigError
from dul_models.models.base import Batch, DULModel, ModelConfig
from dul_models.models.blocks import BroadcastDecoder, ConvDecoder, ConvEncoder
from dul_models.models.vae_recipes import RECIPES
from dul_models.models.vae_terms import gaussian_kl, iwae_bound, total_correlation

LIKELIHOODS = ("bernoulli", "continuous_bernoulli")
INTERPOLATIONS = ("linear", "slerp")
DECODERS = ("conv", "broadcast")
EVAL_K, QUICK_K = 1000, 50  # importance samples: the published protocol, and a cheap periodic check
ACTIVE_THRESHOLD = 0.01  # Burda et al.: variance of the posterior mean across the data
TEST_BINARISATION_SEED = 0  # the test set is binarised stochastically, but the same way every time
MAX_DEPTH = 4  # residual blocks per resolution; deeper is slow on a CPU and overfits 4,000 digits


@dataclass
class VAEConfig(ModelConfig):
    latent_dim: int = 16  # enough for MNIST digits; more dimensions just stay inactive
    base_channels: int = 32  # the shared conv blocks at 32/64 channels train fast on a CPU
    beta: float = 1.0  # weight of the KL term; 1 is the true ELBO, > 1 is a β-VAE
    likelihood: str = "bernoulli"  # on dynamically binarised pixels: the published MNIST protocol
    kl_warmup_steps: int = 0  # 0 = no warm-up: warm-up can hide posterior collapse, so it is opt-in
    depth: int = 0  # residual blocks per resolution each way; 0 = the shared blocks (fast, older runs load)
    # β-TCVAE (Chen et al. 2018): 0 = off; > 0 weights the KL's total-correlation part by tc_beta instead
    # of beta, so the code is pushed towards independent dimensions without starving the reconstruction
    tc_beta: float = 0.0
    # controlled capacity increase (Burgess et al. 2018): 0 = off; > 0: loss = recon + beta·|KL − C| with the
    # target C growing linearly from 0 to capacity_nats over capacity_steps (beta then acts like their γ)
    capacity_nats: float = 0.0
    capacity_steps: int = 0
    # "conv" mirrors the encoder; "broadcast" is the spatial broadcast decoder (Watters et al. 2019): the
    # code tiled over the pixels beside their coordinates, which is what separates position and scale
    decoder: str = "conv"

    def __post_init__(self) -> None:
        super().__post_init__()
        _, height, width = self.image_shape
        if height % 4 or width % 4:
            raise ConfigError(f"image height and width must be multiples of 4, got {height}×{width}")
        if self.latent_dim < 1 or self.base_channels < 1:
            raise ConfigError("latent_dim and base_channels must be positive integers")
        if not self.beta > 0:
            raise ConfigError(f"beta must be > 0, got {self.beta!r}")
        if self.likelihood not in LIKELIHOODS:
            raise ConfigError(
                f"unknown likelihood {self.likelihood!r}; choose from: {', '.join(LIKELIHOODS)}"
            )
        if self.kl_warmup_steps < 0:
            raise ConfigError(f"kl_warmup_steps must be >= 0, got {self.kl_warmup_steps!r}")
        if not self.capacity_nats >= 0 or self.capacity_steps < 0:
            raise ConfigError("capacity_nats and capacity_steps must be >= 0 (capacity_nats = 0 = off)")
        if self.capacity_nats and not self.capacity_steps:
            raise ConfigError(
                "capacity_steps must be >= 1 when capacity_nats > 0 (the steps C takes to grow)"
            )
        if self.decoder not in DECODERS:
            raise ConfigError(f"unknown decoder {self.decoder!r}; choose from: {', '.join(DECODERS)}")
        if not self.tc_beta >= 0:
            raise ConfigError(f"tc_beta must be >= 0 (0 = off), got {self.tc_beta!r}")
        if not 0 <= self.depth <= MAX_DEPTH:
            raise ConfigError(f"depth must be an integer in 0…{MAX_DEPTH}, got {self.depth!r}")


class VAE(DULModel):
    """x → encoder → (μ, log σ²) → z = μ + σ·ε → decoder → logits of p(x|z)."""

    family = "vae"
    config_cls = VAEConfig
    title = "Variational autoencoder (VAE / β-VAE)"
    description = (
        "A probabilistic autoencoder: traverse and map its latent space, sample, and bound log p(x)."
    )
    tiny_config = {"latent_dim": 3, "base_channels": 4}
    evaluators = ("mig",)  # built only on sets with known factors (shapes): MIG beside the likelihood
    recipes = RECIPES  # vae_recipes.py: the bundled runs, and the live defaults the page starts from

    def __init__(self, config: VAEConfig) -> None:
        super().__init__(config)
        self.config: VAEConfig = config
        shape, width, latent = config.image_shape, config.base_channels, config.latent_dim
        # depth 0: the plain shared blocks (fast, and the parameter names of runs saved before `depth`)
        self.encoder = ConvEncoder(shape, width, 2 * latent, config.depth)
        if config.decoder == "broadcast":
            self.decoder = BroadcastDecoder(shape, width, latent)
        else:
            self.decoder = ConvDecoder(shape, width, latent, config.depth)
        self.steps_trained = 0  # for the optional KL warm-up only; not saved
        self.train_size: int | None = None  # N of the total-correlation estimator, set by `prepare`

    def prepare(self, dataset) -> None:
        self.train_size = len(dataset.train)

    # ---- the likelihood -------------------------------------------------------------------------

    @property
    def binarised(self) -> bool:
        return self.config.likelihood == "bernoulli"

    def binarisation(self) -> str:
        if self.binarised:
            return f"dynamic, fixed seed {TEST_BINARISATION_SEED}"
        return "none (grey levels, continuous Bernoulli likelihood)"

    def log_likelihood(self, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """log p(x|z) per image, summed over (C, H, W): (B,) from (B, C, H, W) logits, or (S, B) from
        (S, B, C, H, W) logits of S samples each, x broadcast; x is binary for the Bernoulli likelihood."""
        if self.binarised:  # −BCE with logits, written out so that x broadcasts instead of being copied
            return (x * logits - F.softplus(logits)).sum((-3, -2, -1))
        # continuous Bernoulli (Loaiza-Ganem & Cunningham, NeurIPS 2019): a proper density on [0, 1]
        dist = torch.distributions.ContinuousBernoulli(logits=logits, validate_args=False)
        return dist.log_prob(x).sum((-3, -2, -1))

    def mean_image(self, logits: torch.Tensor) -> torch.Tensor:
        """The image to show for decoder logits: pixel probabilities, or the continuous Bernoulli mean."""
        if self.binarised:
            return torch.sigmoid(logits)
        return torch.distributions.ContinuousBernoulli(logits=logits, validate_args=False).mean

    # ---- the verbs (inference: no gradients; the loss calls `posterior` and the decoder) ---------

    def posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """q(z|x): its mean and log-variance, each (B, latent_dim), with gradients (for the loss)."""
        h = self.encoder(x)  # (B, 2·latent_dim)
        mean, logvar = h.chunk(2, dim=1)
        return mean, logvar.clamp(-12.0, 8.0)  # keeps exp() finite early in training

    @torch.no_grad()
    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Posterior q(z|x): its mean and log-variance, each (B, latent_dim)."""
        return self.posterior(x)

    @torch.no_grad()
    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.posterior(x)[0]  # (B, latent_dim): the posterior mean

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)  # (B, C, H, W)

    @torch.no_grad()
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.mean_image(self.decode_logits(z))

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.embed(x))

    @torch.no_grad()
    def sample(
        self, n: int, *, generator: torch.Generator | None = None, temperature: float = 1.0
    ) -> torch.Tensor:
        """n images decoded from z ~ N(0, temperature² I)."""
        if n < 1 or not temperature >= 0:
            raise ConfigError(f"need n >= 1 and temperature >= 0, got n={n}, temperature={temperature}")
        device = self.device if generator is None else generator.device
        z = torch.randn(n, self.config.latent_dim, generator=generator, device=device).to(self.device)
        return self.decode(temperature * z)

    @torch.no_grad()
    def traverse(self, z: torch.Tensor, dim: int, values: torch.Tensor) -> torch.Tensor:
        """Decode copies of one code z (latent_dim,) with dimension `dim` set to each of `values`."""
        if not 0 <= dim < self.config.latent_dim:
            raise ConfigError(f"latent index must be in 0…{self.config.latent_dim - 1}, got {dim}")
        codes = z.reshape(1, -1).repeat(len(values), 1)  # (V, latent_dim)
        codes[:, dim] = values.to(codes)
        return self.decode(codes)

    @torch.no_grad()
    def interpolate(
        self, z0: torch.Tensor, z1: torch.Tensor, steps: int, mode: str = "linear"
    ) -> torch.Tensor:
        """Images along the path z0 → z1: a straight line, or the great circle (slerp, White 2016)."""
        if mode not in INTERPOLATIONS:
            raise ConfigError(f"unknown interpolation {mode!r}; choose from: {', '.join(INTERPOLATIONS)}")
        if steps < 2:
            raise ConfigError(f"interpolation needs at least 2 steps, got {steps}")
        z0, z1 = z0.reshape(1, -1), z1.reshape(1, -1)
        t = torch.linspace(0, 1, steps, device=z0.device).unsqueeze(1)  # (steps, 1)
        omega = torch.arccos(F.cosine_similarity(z0, z1).clamp(-1 + 1e-6, 1 - 1e-6))
        if mode == "linear" or float(omega.detach()) < 1e-4:
            codes = (1 - t) * z0 + t * z1
        else:
            codes = (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / torch.sin(omega)
        return self.decode(codes)  # (steps, C, H, W)

    # ---- training -------------------------------------------------------------------------------

    def loss(self, batch: Batch) -> tuple[torch.Tensor, dict[str, float]]:
        x = torch.bernoulli(batch.x) if self.binarised else batch.x  # fresh binarisation every step
        mean, logvar = self.posterior(x)
        z = mean + torch.randn_like(mean) * (0.5 * logvar).exp()  # reparameterisation
        recon = -self.log_likelihood(self.decode_logits(z).float(), x).mean()  # nats per image
        kl = gaussian_kl(mean.float(), logvar.float()).sum(1).mean()
        warm = 1.0
        if self.config.kl_warmup_steps:
            warm = min(1.0, self.steps_trained / self.config.kl_warmup_steps)
        if self.training:
            self.steps_trained += 1
        recon_nats, kl_nats = float(recon.detach()), float(kl.detach())
        metrics = {"recon": recon_nats, "kl": kl_nats, "neg_elbo": recon_nats + kl_nats}
        loss = recon + warm * self.config.beta * kl
        if self.config.capacity_nats:  # Burgess et al.: hold the KL at a slowly growing capacity C
            capacity = self.config.capacity_nats * min(1.0, self.steps_trained / self.config.capacity_steps)
            loss = recon + self.config.beta * (kl - capacity).abs()
            metrics["capacity"] = capacity
        if self.config.tc_beta:  # KL = MI + TC + dim-wise KL: move TC's weight from beta to tc_beta
            # before `prepare` the batch stands for the data: N only shifts the estimate by a constant
            size = self.train_size or x.shape[0]
            tc = total_correlation(z.float(), mean.float(), logvar.float(), max(size, x.shape[0]))
            loss = loss + warm * (self.config.tc_beta - self.config.beta) * tc
            metrics["tc"] = float(tc.detach())
        return loss, metrics

    @torch.no_grad()
    def preview(self, x: torch.Tensor) -> tuple[torch.Tensor, int]:
        """Rows: inputs, reconstructions, samples from the prior (fixed noise, so rows are comparable)."""
        generator = torch.Generator(device=x.device).manual_seed(0)
        return torch.cat(
            [x, self.reconstruct(x), self.sample(x.shape[0], generator=generator)]
        ).cpu(), x.shape[0]

    # ---- evaluation -----------------------------------------------------------------------------

    @torch.no_grad()
    def evaluate(
        self, x: torch.Tensor, y: torch.Tensor, *, quick: bool = False, **options: Any
    ) -> dict[str, Any]:
        """−ELBO = recon + KL, KL per dimension, active units and the IWAE bound on −log p(x), in nats."""
        self.check_options(options, ("iwae_k",))
        k = int(options.get("iwae_k") or (QUICK_K if quick else EVAL_K))
        if k < 1:
            raise ConfigError(f"iwae_k must be a positive integer, got {k}")
        generator = torch.Generator(device=x.device).manual_seed(TEST_BINARISATION_SEED)
        if self.binarised:
            x = torch.bernoulli(x, generator=generator)  # same binary test set at every evaluation
        nll, recon, kl, means = iwae_bound(self, x, k, generator, what=f"IWAE bound, k = {k}")
        kl_per_dim = torch.cat([gaussian_kl(*self.encode(x[s : s + 500])) for s in range(0, x.shape[0], 500)])
        dims = x[0].numel()
        variance = means.var(0) if means.shape[0] > 1 else torch.zeros(means.shape[1], device=x.device)
        return {
            "neg_elbo": float((recon + kl).mean()),
            "recon": float(recon.mean()),
            "kl": float(kl.mean()),
            "kl_per_dim": [round(float(v), 5) for v in kl_per_dim.mean(0)],
            "active_units": int((variance > ACTIVE_THRESHOLD).sum()),
            "iwae_nll": float(nll.mean()),
            "bits_per_dim": float(nll.mean()) / (math.log(2) * dims),
            "iwae_k": k,
            "binarisation": self.binarisation(),
            "likelihood": self.config.likelihood,
        }
