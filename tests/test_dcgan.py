"""The DCGAN keeps the book's layer names and shapes, so the book's weights load."""
import pytest
import torch

from lecture_utils.anogan import dcgan
from lecture_utils.checkpoint import load_weights


def book_generator_state(z_dim=20, c=64):
    """The key names and shapes of the book's Generator (6-2_AnoGAN.ipynb), written out by hand."""
    state = {}
    for name, c_in, c_out in [("layer1", z_dim, c * 8), ("layer2", c * 8, c * 4),
                              ("layer3", c * 4, c * 2), ("layer4", c * 2, c)]:
        state[f"{name}.0.weight"] = torch.randn(c_in, c_out, 4, 4)
        state[f"{name}.0.bias"] = torch.randn(c_out)
        state[f"{name}.1.weight"] = torch.ones(c_out)
        state[f"{name}.1.bias"] = torch.zeros(c_out)
        state[f"{name}.1.running_mean"] = torch.zeros(c_out)
        state[f"{name}.1.running_var"] = torch.ones(c_out)
        state[f"{name}.1.num_batches_tracked"] = torch.tensor(0)
    state["last.0.weight"] = torch.randn(c, 1, 4, 4)
    state["last.0.bias"] = torch.randn(1)
    return state


def book_discriminator_state(c=64):
    state = {}
    for name, c_in, c_out in [("layer1", 1, c), ("layer2", c, c * 2), ("layer3", c * 2, c * 4),
                              ("layer4", c * 4, c * 8)]:
        state[f"{name}.0.weight"] = torch.randn(c_out, c_in, 4, 4)
        state[f"{name}.0.bias"] = torch.randn(c_out)
    state["last.weight"] = torch.randn(1, c * 8, 4, 4)
    state["last.bias"] = torch.randn(1)
    return state


def test_book_weights_load_strictly():
    G, D = dcgan.Generator(20, width=64), dcgan.Discriminator(width=64)
    G.load_state_dict(book_generator_state(), strict=True)
    D.load_state_dict(book_discriminator_state(), strict=True)
    load_weights(G, book_generator_state())


def test_width_sets_the_channels_and_never_the_image_size():
    for width in (8, 16):
        G, D = dcgan.build(z_dim=20, width=width)
        G.eval()
        x = G(torch.randn(3, 20))
        assert x.shape == (3, 1, 64, 64) and x.abs().max() <= 1               # 64 x 64 at any width
        assert G(torch.randn(3, 20, 1, 1)).shape == (3, 1, 64, 64)             # the book's z layout
        assert G.layer1[0].out_channels == 8 * width and G.layer4[0].out_channels == width
        logit, feature = D(x)
        assert logit.shape == (3, 1, 1, 1) and feature.shape == (3, width * 8 * 4 * 4)
        assert dcgan.Encoder(20, width).eval()(x).shape == (3, 20)


def test_discriminator_scores_each_image_alone():
    _, D = dcgan.build(width=8)
    x = torch.rand(4, 1, 64, 64) * 2 - 1
    logit, feature = D(x)
    logit1, feature1 = D(x[1:2])
    torch.testing.assert_close(feature[1:2], feature1)
    torch.testing.assert_close(logit[1:2], logit1)


def test_other_architecture_gives_clear_error():
    with pytest.raises(ValueError, match="do not fit Generator"):
        load_weights(dcgan.Generator(20, 8), book_generator_state())


def test_init_weights_follow_the_book():
    G, _ = dcgan.build(width=8, seed=0)
    w = G.layer2[0].weight
    assert abs(w.std().item() - 0.02) < 0.005
    assert torch.all(G.layer2[0].bias == 0)


def test_build_encoder_is_seeded_and_initialised_like_the_gan():
    a, b = dcgan.build_encoder(20, 8, seed=3), dcgan.build_encoder(20, 8, seed=3)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    w = a.layer1[0].weight
    assert abs(w.mean().item()) < 0.01 and 0.01 < w.std().item() < 0.03   # N(0, 0.02)
