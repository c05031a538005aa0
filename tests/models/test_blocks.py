"""The shared decoder's CPU fast path (channels-last, the last layer by fold) computes what the plain layers do."""

from __future__ import annotations

import pytest
import torch

from dul_models.models import blocks

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/models/conftest.py


@pytest.mark.parametrize(
    "shape, width, depth", [((1, 28, 28), 16, 0), ((3, 32, 32), 8, 1), ((1, 8, 8), 4, 0)]
)
def test_fast_path_gives_the_same_logits_and_gradients(monkeypatch, shape, width, depth):
    torch.manual_seed(0)
    decoder = blocks.ConvDecoder(shape, width, 5, depth)
    z = torch.randn(7, 5, requires_grad=True)
    results = []
    for fast in (True, False):
        monkeypatch.setattr(blocks, "CHANNELS_LAST_ON_CPU", fast)
        logits = decoder(z)
        grads = torch.autograd.grad(logits.square().sum(), [z, *decoder.parameters()])
        results.append((logits, grads))
    (fast_logits, fast_grads), (plain_logits, plain_grads) = results
    assert fast_logits.shape == (7, *shape)
    assert torch.allclose(fast_logits, plain_logits, atol=1e-5)
    assert all(
        torch.allclose(a, b, atol=1e-4, rtol=1e-4) for a, b in zip(fast_grads, plain_grads, strict=True)
    )


def test_transposed_conv_by_fold_matches_the_layer():
    torch.manual_seed(0)
    layer = torch.nn.ConvTranspose2d(6, 2, 4, stride=2, padding=1)
    h = torch.randn(3, 6, 5, 5)
    assert torch.allclose(blocks.transposed_conv_by_fold(layer, h), layer(h), atol=1e-5)


def test_broadcast_decoder_draws_from_the_code_and_the_coordinates():
    torch.manual_seed(0)
    decoder = blocks.BroadcastDecoder((1, 12, 8), 4, 3)
    z = torch.randn(5, 3)
    logits = decoder(z)
    assert logits.shape == (5, 1, 12, 8)
    assert not torch.allclose(logits[:, :, 0, 0], logits[:, :, -1, -1])  # pixels differ by where they are
    assert torch.allclose(decoder(z[:1]), logits[:1], atol=1e-6)  # each image depends on its own code only
    assert "coords" not in decoder.state_dict()  # derived, never saved
