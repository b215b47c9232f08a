"""Lecture 1's network and its loss.

``VAE`` is the convolutional VAE of the MPRG lecture "繰り返し処理による異常検知" (after Dehaene et
al.'s: 9 convolutions in the encoder and 9 in the decoder, 128x128 input), layer for layer: module
names and ``nn.Sequential`` indices match the lecture's, so its published ``trained_model.pt``
loads with ``strict=True``.
``vae_loss`` is the loss it is trained with (and the projection's energy builds on);
``reconstruct`` is f_VAE(x) over a whole set; ``load_vae`` builds the network its weights describe.
"""
from __future__ import annotations

import torch
from torch import nn

from ..batching import in_batches
from ..checkpoint import CheckpointError, load_checkpoint, load_weights, refuse_unfinished
from ..config import pick_device


def _conv(c_in: int, c_out: int, k: int = 3, s: int = 1, p: int = 1) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, kernel_size=k, stride=s, padding=p), nn.LeakyReLU(0.2, inplace=True)]


def _up(factor: int) -> nn.Module:
    return nn.Upsample(scale_factor=factor, mode="nearest")


class VAE(nn.Module):
    """Convolutional VAE for ``input_c`` x 128 x 128 images in [0, 1].

    ``forward(x)`` returns ``(x_hat, mu, logvar)``: the reconstruction f_VAE(x) [B, C, 128, 128],
    and the posterior's mean and log-variance [B, z_dim].  In training mode z is sampled
    (reparameterisation trick); in eval mode z = mu unless ``sample=True``.
    """

    image_size = 128

    def __init__(self, z_dim: int = 100, input_c: int = 3):
        super().__init__()
        self.z_dim, self.input_c = z_dim, input_c
        self.encoder = nn.Sequential(
            *_conv(input_c, 32, 4, 2),  # 128 -> 64
            *_conv(32, 32, 4, 2),       # 64 -> 32
            *_conv(32, 32),             # 32
            *_conv(32, 64, 4, 2),       # 32 -> 16
            *_conv(64, 64),             # 16
            *_conv(64, 128, 4, 2),      # 16 -> 8
            *_conv(128, 64),            # 8
            *_conv(64, 32),             # 8
            nn.Conv2d(32, z_dim, kernel_size=8, stride=1),  # 8 -> 1
        )
        self.mu_fc = nn.Linear(z_dim, z_dim)
        self.logvar_fc = nn.Linear(z_dim, z_dim)
        self.decoder = nn.Sequential(
            _up(8), *_conv(z_dim, 32), *_conv(32, 64), *_conv(64, 128),  # 1 -> 8
            _up(2), *_conv(128, 64), *_conv(64, 64),                      # 8 -> 16
            _up(2), *_conv(64, 32), *_conv(32, 32),                       # 16 -> 32
            _up(2), *_conv(32, 32),                                       # 32 -> 64
            _up(2), nn.Conv2d(32, input_c, kernel_size=3, stride=1, padding=1), nn.Sigmoid(),  # 64 -> 128
        )

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """q(z|x): mean and log-variance [B, z_dim] of x [B, C, 128, 128]."""
        h = torch.flatten(self.encoder(x), start_dim=1)  # [B, z_dim]
        return self.mu_fc(h), self.logvar_fc(h)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """f_VAE's decoder: z [B, z_dim] -> image [B, C, 128, 128] in (0, 1)."""
        return self.decoder(z.view(z.size(0), -1, 1, 1))

    def forward(self, x: torch.Tensor, sample: bool | None = None):
        if tuple(x.shape[-2:]) != (self.image_size, self.image_size) or x.shape[1] != self.input_c:
            raise ValueError(f"VAE expects [B, {self.input_c}, 128, 128] images, got {list(x.shape)}")
        mu, logvar = self.encode(x)
        sample = self.training if sample is None else sample
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if sample else mu  # [B, z_dim]
        return self.decode(z), mu, logvar


def _clamped_log(p: torch.Tensor, complement: bool = False) -> torch.Tensor:
    """log(p) (``complement``: log(1 - p) via log1p) clamped at -100 like PyTorch's BCE, with a
    finite gradient everywhere: where the log would be -inf (p = 0, or p = 1 for the complement)
    it is never evaluated (``torch.where`` on a safe input), so the backward has no 0 * inf."""
    ok = p < 1 if complement else p > 0
    safe = torch.where(ok, p, torch.full_like(p, 0.5))
    log = torch.log1p(-safe) if complement else torch.log(safe)
    return torch.where(ok, log, torch.full_like(p, -100.0)).clamp(min=-100)


def vae_loss(x: torch.Tensor, x_hat: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """The lecture's loss, per image [B]: BCE(f_VAE(x), x) summed over pixels + KL(q(z|x) || N(0, I)).

    Written out (not ``F.binary_cross_entropy``) so the gradient also flows into the target x,
    which the projection needs; logs are clamped at -100 like PyTorch's BCE.  A reconstruction
    saturated to exactly 0 or 1 gives a finite loss and finite gradients (into x_hat and x).
    """
    log_p, log_1mp = _clamped_log(x_hat), _clamped_log(x_hat, complement=True)   # [B, C, H, W]
    bce = -(x * log_p + (1 - x) * log_1mp).flatten(1).sum(1)        # [B]
    kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)      # [B]
    return bce + kl


def reconstruct(model: VAE, images: torch.Tensor, batch_size: int = 32) -> torch.Tensor:
    """f_VAE(x) with z = mu, batched, without gradients: [N, C, H, W] -> [N, C, H, W] on the CPU."""
    model.eval()
    return in_batches(lambda x: model(x)[0], images, batch_size=batch_size,
                      device=next(model.parameters()).device)


def load_vae(weights, device=None) -> VAE:
    """A VAE whose z_dim and channels are read from the weights (a state_dict or our checkpoint)."""
    state = load_checkpoint(weights)
    refuse_unfinished(state, weights)
    sd = state["model"] if isinstance(state, dict) and isinstance(state.get("model"), dict) else state
    if not isinstance(sd, dict) or "mu_fc.weight" not in sd or "encoder.0.weight" not in sd:
        raise CheckpointError("not_vae_weights", path=weights)
    model = VAE(z_dim=sd["mu_fc.weight"].shape[0], input_c=sd["encoder.0.weight"].shape[1])
    return load_weights(model, sd).to(device or pick_device()).eval()
