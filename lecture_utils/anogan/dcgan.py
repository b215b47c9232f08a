"""The DCGAN of the AnoGAN lecture (book ch. 6-2) and the encoder of its fast variant (f-AnoGAN).

Layer names and shapes follow the book's ``Generator``/``Discriminator`` (``layer1``...``layer4``,
``last``), so its trained ``state_dict`` loads unchanged. Images are 1 x 64 x 64 in [-1, 1]
(Tanh output), the latent z is ``[B, z_dim]`` (or the book's ``[B, z_dim, 1, 1]``). ``width`` is
the channel count of the widest-resolution layer (the book's ``image_size``, 64: it sets the
channels, 64 -> 512, never the image size, which is always 64 x 64).
"""
from __future__ import annotations

import torch
from torch import nn


def _up(c_in: int, c_out: int, stride: int = 2, padding: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.ConvTranspose2d(c_in, c_out, kernel_size=4, stride=stride, padding=padding),
                         nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


def _down(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, kernel_size=4, stride=2, padding=1),
                         nn.LeakyReLU(0.1, inplace=True))


class Generator(nn.Module):
    """G: z [B, z_dim] -> image [B, 1, 64, 64] in [-1, 1] (4 -> 8 -> 16 -> 32 -> 64 pixels).
    Shapes in the comments are for ``width`` = 64."""

    def __init__(self, z_dim: int = 20, width: int = 64):
        super().__init__()
        self.z_dim = z_dim
        self.layer1 = _up(z_dim, width * 8, stride=1, padding=0)       # [B, 512, 4, 4]
        self.layer2 = _up(width * 8, width * 4)                        # [B, 256, 8, 8]
        self.layer3 = _up(width * 4, width * 2)                        # [B, 128, 16, 16]
        self.layer4 = _up(width * 2, width)                            # [B, 64, 32, 32]
        self.last = nn.Sequential(nn.ConvTranspose2d(width, 1, kernel_size=4, stride=2, padding=1),
                                  nn.Tanh())                            # [B, 1, 64, 64]

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        out = z.reshape(len(z), self.z_dim, 1, 1)
        for layer in (self.layer1, self.layer2, self.layer3, self.layer4, self.last):
            out = layer(out)
        return out


class Discriminator(nn.Module):
    """D: image [B, 1, 64, 64] -> (logit [B, 1, 1, 1], feature f_D [B, 8192]) (``width`` = 64).

    f_D is the output of ``layer4`` (the last map before ``last`` reduces it to one logit),
    flattened: the feature the AnoGAN score compares. No BatchNorm, as in the book, so a
    batch's score never depends on the other images in it.
    """

    def __init__(self, width: int = 64):
        super().__init__()
        self.layer1 = _down(1, width)                       # [B, 64, 32, 32]
        self.layer2 = _down(width, width * 2)               # [B, 128, 16, 16]
        self.layer3 = _down(width * 2, width * 4)           # [B, 256, 8, 8]
        self.layer4 = _down(width * 4, width * 8)           # [B, 512, 4, 4]
        self.last = nn.Conv2d(width * 8, 1, kernel_size=4, stride=1)  # [B, 1, 1, 1]

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.last(out), out.flatten(1)


class Encoder(nn.Module):
    """E: image [B, 1, 64, 64] -> z [B, z_dim], the fast variant's one-pass inverse of G.

    The discriminator's layout with BatchNorm and a linear last layer (z is Gaussian, so no
    squashing); trained after G as in f-AnoGAN's izi_f (see ``train.train_encoder``).
    """

    def __init__(self, z_dim: int = 20, width: int = 64):
        super().__init__()
        c = width
        self.layer1 = _down(1, c)
        self.layer2 = nn.Sequential(_down(c, c * 2), nn.BatchNorm2d(c * 2))
        self.layer3 = nn.Sequential(_down(c * 2, c * 4), nn.BatchNorm2d(c * 4))
        self.layer4 = nn.Sequential(_down(c * 4, c * 8), nn.BatchNorm2d(c * 8))
        self.last = nn.Conv2d(c * 8, z_dim, kernel_size=4, stride=1)   # [B, z_dim, 1, 1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.last(out).flatten(1)                                # [B, z_dim]


def init_weights(module: nn.Module) -> None:
    """The book's (and DCGAN's) initialisation: conv weights N(0, 0.02), BatchNorm scale N(1, 0.02)."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def build(z_dim: int = 20, width: int = 64, seed: int | None = 0) -> tuple[Generator, Discriminator]:
    """A freshly initialised (G, D) pair, seeded for repeatable lectures."""
    if seed is not None:
        torch.manual_seed(seed)
    return Generator(z_dim, width).apply(init_weights), Discriminator(width).apply(init_weights)


def build_encoder(z_dim: int = 20, width: int = 64, seed: int | None = 0) -> Encoder:
    """A freshly initialised encoder E (initialised like G and D), seeded for repeatable lectures."""
    if seed is not None:
        torch.manual_seed(seed)
    return Encoder(z_dim, width).apply(init_weights)
