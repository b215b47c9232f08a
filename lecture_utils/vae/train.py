"""Training the lecture's VAE: BCE + KL loss, batched on-device augmentation, checkpoints and resume.

The images are decoded once (``data.mvtec.load_split``) and live on the device as one tensor; each
batch is augmented there with one ``affine_grid``/``grid_sample`` call, so an epoch costs model
compute, not PIL.  Progress is written atomically to ``OUT.partial`` every ``save_every`` epochs, the
finished run to ``OUT``; calling ``train_vae`` again with the same checkpoint path resumes where it
stopped, and refuses a checkpoint of other settings or data.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F

from ..checkpoint import Checkpointer, cache_file, tensor_identity
from ..config import pick, pick_device, seed_everything
from ..errors import Diverged
from .model import VAE, vae_loss


@dataclass(frozen=True)
class Augmentation:
    """A random affine transform (and flips) applied to each training batch by :func:`augment`."""
    degrees: float = 0.0              # max rotation, either way
    shift: float = 0.0                # max shift, as a fraction of the image size
    scale: tuple = (1.0, 1.0)         # (min, max) zoom
    flips: bool = False               # random horizontal and vertical flips
    padding: str = "zeros"            # how pixels moved in from outside are filled (grid_sample's padding_mode)

    @property
    def is_identity(self) -> bool:
        return self.degrees == 0 and self.shift == 0 and self.scale == (1.0, 1.0) and not self.flips


AUGMENTATIONS = {
    "none": Augmentation(),
    # upright capsules of the test set are only shifted/scaled a little: imitate that, no flips,
    # and extend the (light) background instead of drawing black borders
    "light": Augmentation(degrees=2.0, shift=0.03, scale=(0.95, 1.05), padding="border"),
    # the lecture's RandomAffine(degrees=60, translate=(0.1, 0.1), scale=(0.5, 1.5)) + h/v flips,
    # black fill like torchvision's
    "lecture": Augmentation(degrees=60.0, shift=0.1, scale=(0.5, 1.5), flips=True),
}


@dataclass
class VAEConfig:
    """Hyper-parameters of lecture 1.  Defaults are the lecture's numbers except ``epochs``
    (lecture: 1000; 100 here, reduced in CI) and ``augment`` (lecture: "lecture"; see the notebook)."""
    z_dim: int = 100
    channels: int = 3
    batch_size: int = 10
    lr: float = 2e-4
    betas: tuple = (0.5, 0.999)
    weight_decay: float = 1e-5
    epochs: int = field(default_factory=lambda: pick(100, 2))
    augment: str = "none"
    seed: int = 0
    save_every: int = 10


RESUME_MAY_CHANGE = ("epochs", "save_every")   # the VAEConfig fields a resumed run may change


def augment(x: torch.Tensor, name: str = "light", generator: torch.Generator | None = None) -> torch.Tensor:
    """Random affine transform (and flips) of a batch [B, C, H, W] in one ``grid_sample`` call.

    Pixels moved in from outside are black (0) for 'lecture', as in torchvision's ``RandomAffine``,
    and copies of the border for 'light'.
    """
    if name not in AUGMENTATIONS:
        raise ValueError(f"augment must be one of {sorted(AUGMENTATIONS)}, got {name!r}")
    a = AUGMENTATIONS[name]
    if a.is_identity:
        return x
    b = x.shape[0]

    def uniform(lo, hi):
        return (lo + (hi - lo) * torch.rand(b, generator=generator)).to(x.device)

    angle = uniform(-a.degrees, a.degrees) * math.pi / 180
    scale = uniform(*a.scale)
    tx, ty = uniform(-a.shift, a.shift) * 2, uniform(-a.shift, a.shift) * 2  # grid units span 2
    fx = fy = torch.ones(b, device=x.device)
    if a.flips:
        fx = torch.where(uniform(0, 1) < 0.5, -1.0, 1.0)
        fy = torch.where(uniform(0, 1) < 0.5, -1.0, 1.0)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale  # output -> input sampling
    theta = torch.stack([torch.stack([cos * fx, -sin * fy, tx], 1),
                         torch.stack([sin * fx, cos * fy, ty], 1)], 1)  # [B, 2, 3]
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode=a.padding, align_corners=False)


def make_model(config: VAEConfig, device=None) -> VAE:
    return VAE(z_dim=config.z_dim, input_c=config.channels).to(device or pick_device())


def make_optimizer(model: VAE, config: VAEConfig) -> torch.optim.Adam:
    return torch.optim.Adam(model.parameters(), lr=config.lr, betas=tuple(config.betas),
                            weight_decay=config.weight_decay)


def train_epoch(model, optimizer, images: torch.Tensor, config: VAEConfig, generator) -> float:
    """One pass over ``images`` [N, C, H, W] (already on the device); returns the mean loss per image."""
    model.train()
    order = torch.randperm(len(images), generator=generator).to(images.device)
    total = 0.0
    for start in range(0, len(images), config.batch_size):
        x = augment(images[order[start:start + config.batch_size]], config.augment, generator)  # [B, C, H, W]
        total += train_step(model, optimizer, x)
    return total / len(images)


def train_step(model, optimizer, x: torch.Tensor) -> float:
    """One Adam step on the batch x [B, C, H, W]; returns the loss summed over the batch (as the lecture)."""
    loss = vae_loss(x, *model(x)).sum()
    if not torch.isfinite(loss):
        raise Diverged("nan_vae")
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss.item()


def checkpointer(checkpoint, config: VAEConfig, data: dict) -> Checkpointer:
    """The checkpoints of a VAE run that ends in ``checkpoint`` (see ``checkpoint.Checkpointer``)."""
    return Checkpointer(checkpoint, config, data, "VAE", "train_vae", free=RESUME_MAY_CHANGE,
                        every=config.save_every, hint="nan_hint_lr")


def train_vae(images: torch.Tensor, config: VAEConfig | None = None, checkpoint=None, device=None,
              progress: bool = True, data: dict | None = None, fresh: bool = False) -> tuple[VAE, list[float]]:
    """Train a VAE on good images [N, C, 128, 128] in [0, 1], minimising BCE(x, f_VAE(x)) + KL with Adam;
    returns the model in eval mode and the mean loss per image of every epoch.

    With ``checkpoint`` (a path; see ``checkpoint.Checkpointer``) progress is kept in ``checkpoint.partial``
    every ``config.save_every`` epochs and the finished run in ``checkpoint``; a run of the same settings
    and ``data`` (default: ``tensor_identity(images)``) is resumed, or returned as is when finished, anything
    else refused (``fresh``: start over).  Ctrl-C and NaN end with one line naming the last checkpoint.
    """
    config = config or VAEConfig()
    device = pick_device(device)
    generator = seed_everything(config.seed)
    model = make_model(config, device)
    optimizer = make_optimizer(model, config)
    run = checkpointer(checkpoint, config, data or tensor_identity(images))
    history = run.start({"model": model, "optimizer": optimizer, "rng": generator}, [], fresh)  # loss per epoch
    images = images.to(device)                                 # [N, C, 128, 128]
    bar = run.bar(progress)
    with run.guard():                                          # Ctrl-C, NaN: one line naming the last checkpoint
        for _ in bar:                                          # checkpoints: every save_every epochs and the last
            history.append(train_epoch(model, optimizer, images, config, generator))
            bar.set_postfix(loss=f"{history[-1]:.1f}")
    return model.eval(), history


def cached_weights(config: VAEConfig, source: str = "capsule", root=None) -> Path:
    """Where the notebook keeps the VAE trained with ``config`` on ``source`` (the data folder
    ``root`` is part of the key, so two folders never share weights): data_dir()/vae_....pt."""
    settings = {k: v for k, v in asdict(config).items() if k != "save_every"}
    return cache_file(f"vae_{source}_{config.epochs}ep", config=settings,
                      root=None if root is None else str(Path(root).resolve()))

