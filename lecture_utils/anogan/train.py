"""Training the DCGAN on normal images only, then the encoder of the fast variant (f-AnoGAN izi_f).

GAN step (book ch. 6-2, with float labels so ``BCEWithLogitsLoss`` works on current PyTorch)::

    L_D = BCE(D(x), y_real) + BCE(D(G(z)), 0)        L_G = BCE(D(G(z)), 1)

Both losses are printed on the progress bar and kept per iteration, a grid of G(z_fixed) is kept
every ``sample_every`` epochs, and after every epoch an atomic checkpoint lets a disconnected run
resume where it stopped (``OUT.partial``; the finished run is ``OUT``). A NaN loss stops training
with ``FloatingPointError`` naming the checkpoint that holds the last finite weights.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from ..checkpoint import Checkpointer, tensor_identity
from ..config import pick, pick_device
from ..errors import Diverged
from ..messages import say, tell
from ..progress import bar as progress_bar
from . import published
from .score import freeze, izi_f


@dataclass
class GANConfig:
    """Hyper-parameters of the GAN, measured in ``benchmarks/RESULTS_anogan.md``. The book uses
    batch 64, g_lr 1e-4, d_lr 4e-4, betas (0, 0.9), hard labels; with the same 16,000 image-steps
    smaller batches (more updates), equal learning rates of 2e-4 with DCGAN's betas (0.5, 0.999),
    label smoothing and instance noise raised the AUROC from 0.84 to 0.92; 8 epochs (with a
    4-epoch encoder scored by f-AnoGAN's A_E) reach 0.967 after 7 minutes of training on 2 CPU
    threads."""
    epochs: int = field(default_factory=lambda: pick(8, 2))
    batch_size: int = 16        # the book: 64
    g_lr: float = 2e-4          # the book: 1e-4
    d_lr: float = 2e-4          # the book: 4e-4 (D wins, its loss goes to 0, see the lecture)
    betas: tuple = (0.5, 0.999)  # the book: (0.0, 0.9)
    real_label: float = 0.9     # one-sided label smoothing (the book: 1.0)
    instance_noise: float = 0.1  # std of Gaussian noise added to D's inputs, decays to 0
    z_dim: int = 20
    seed: int = 0
    sample_every: int = 1

    @classmethod
    def for_images(cls, n_images: int, image_steps: int = 32_000, **changes) -> "GANConfig":
        """The defaults with as many epochs as it takes to show G ~``image_steps`` images (8 epochs
        of 4,000 MNIST digits, ~126 of the 253 bundled ones) and at most ~8 sample grids."""
        epochs = epochs_for(n_images, image_steps)
        return cls(epochs=epochs, sample_every=max(1, epochs // 8), **changes)


@dataclass
class EncoderConfig:
    """Hyper-parameters of the encoder E (f-AnoGAN's izi_f): ``kappa`` weighs the feature term;
    ``cosine``: the learning rate decays from ``lr`` to 0 along a cosine over training (on a
    validation set from MNIST's train split it raised the AUROC from 0.937 to 0.950, two seeds;
    a constant rate leaves E wherever the last noisy steps put it)."""
    epochs: int = field(default_factory=lambda: pick(4, 2))
    batch_size: int = 32
    lr: float = 1e-3
    kappa: float = 1.0
    seed: int = 0
    cosine: bool = True

    @classmethod
    def for_images(cls, n_images: int, image_steps: int = 16_000, **changes) -> "EncoderConfig":
        """The defaults with epochs for ~``image_steps`` images (4 epochs of 4,000 digits)."""
        return cls(epochs=epochs_for(n_images, image_steps), **changes)


def epochs_for(n_images: int, image_steps: int) -> int:
    """Epochs that show a model about ``image_steps`` images whatever the data size (reduced: 2)."""
    if n_images < 1:
        raise ValueError(f"no training images (got {n_images})")
    return pick(max(1, round(image_steps / n_images)), 2)


def _batches(n: int, batch_size: int, gen: torch.Generator) -> list[torch.Tensor]:
    """Shuffled indices in batches of ``batch_size``; a last batch of one image is dropped."""
    return [idx for idx in torch.randperm(n, generator=gen).split(batch_size) if len(idx) > 1]


def _check(loss: torch.Tensor) -> None:
    """Called before each optimiser step, so a NaN/inf loss never reaches the weights."""
    if not torch.isfinite(loss):
        raise Diverged("nan_gan")


def _noisy(x: torch.Tensor, std: float, gen: torch.Generator) -> torch.Tensor:
    return x if std <= 0 else x + std * torch.randn(x.shape, generator=gen).to(x.device)


def gan_step(G, D, opt_g, opt_d, x, cfg: GANConfig, noise_std: float, gen: torch.Generator) -> tuple[float, float]:
    """One update of D then G on the real batch ``x`` [B, 1, H, W]; returns (L_D, L_G)."""
    B, dev = len(x), x.device
    z = torch.randn(B, cfg.z_dim, generator=gen).to(dev)               # [B, z_dim]
    fake = G(z)                                                         # [B, 1, H, W]
    real_logit, _ = D(_noisy(x, noise_std, gen))
    fake_logit, _ = D(_noisy(fake.detach(), noise_std, gen))
    y_real = torch.full((B,), cfg.real_label, device=dev)              # float labels
    y_fake = torch.zeros(B, device=dev)
    d_loss = (F.binary_cross_entropy_with_logits(real_logit.view(-1), y_real)
              + F.binary_cross_entropy_with_logits(fake_logit.view(-1), y_fake))
    _check(d_loss)
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
    fake_logit, _ = D(_noisy(fake, noise_std, gen))
    g_loss = F.binary_cross_entropy_with_logits(fake_logit.view(-1), torch.ones(B, device=dev))
    _check(g_loss)
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    return d_loss.item(), g_loss.item()


RESUME_MAY_CHANGE = ("epochs", "sample_every")  # the GANConfig fields a resumed run may change


def train_gan(G, D, images: torch.Tensor, cfg: GANConfig | None = None, checkpoint=None,
              device=None, progress: bool = True, data: dict | None = None, fresh: bool = False,
              step=None) -> dict:
    """Train (G, D) on ``images`` [N, 1, H, W] in [-1, 1], one ``step`` (L_D, then L_G) per batch;
    ``step`` has ``gan_step``'s signature (default ``gan_step``; the lecture passes its own).

    Returns the history: ``d_loss`` and ``g_loss`` per iteration, ``epoch_d``/``epoch_g`` (means per
    epoch), ``samples`` (list of (epoch, G(z_fixed) [16, 1, H, W] in [-1, 1])), ``seconds``.  With
    ``checkpoint``, as ``train_vae`` (see ``checkpoint.Checkpointer``), saving after every epoch.
    """
    cfg = cfg or GANConfig()
    step = step or gan_step
    device = pick_device(device)
    G.to(device).train()
    D.to(device).train()
    opt_g = torch.optim.Adam(G.parameters(), cfg.g_lr, betas=cfg.betas)
    opt_d = torch.optim.Adam(D.parameters(), cfg.d_lr, betas=cfg.betas)
    run = Checkpointer(checkpoint, cfg, data or tensor_identity(images), "GAN", "train_gan", free=RESUME_MAY_CHANGE)
    history = run.start({"G": G, "D": D, "opt_g": opt_g, "opt_d": opt_d}, new_history(), fresh,
                        quiet=published.announced(checkpoint))   # a published file: `provide` said where it came from
    fixed = torch.Generator().manual_seed(cfg.seed + 1)
    z_fixed = torch.randn(16, cfg.z_dim, generator=fixed).to(device)         # [16, z_dim]: the same z every epoch
    bar = run.bar(progress)
    with run.guard():                                  # Ctrl-C, NaN: one line naming the last checkpoint
        for epoch in bar:                              # a checkpoint after every epoch
            history["seconds"] += _gan_epoch(G, D, opt_g, opt_d, images, cfg, epoch, history, bar, device, step)
            if (epoch + 1) % cfg.sample_every == 0 or epoch + 1 == cfg.epochs:
                history["samples"].append((epoch + 1, _sample(G, z_fixed)))   # G(z_fixed): [16, 1, H, W]
    if run.trained:
        tell("trained", what="GAN", seconds=history["seconds"], name=run.path.name)
    G.eval()
    D.eval()
    return history


def new_history() -> dict:
    """The history of a GAN run that has not started (see ``train_gan``)."""
    return {"d_loss": [], "g_loss": [], "epoch_d": [], "epoch_g": [], "samples": [], "seconds": 0.0}


def _gan_epoch(G, D, opt_g, opt_d, images, cfg, epoch, history, bar, device, step) -> float:
    """One pass over the shuffled images; appends the losses to ``history``; returns seconds."""
    t0 = time.perf_counter()
    gen = torch.Generator().manual_seed(cfg.seed * 1000 + epoch)
    noise_std = cfg.instance_noise * max(0.0, 1.0 - epoch / max(1, cfg.epochs))  # anneal to 0
    d_sum = g_sum = 0.0
    n = 0
    for idx in _batches(len(images), cfg.batch_size, gen):
        d, g = step(G, D, opt_g, opt_d, images[idx].to(device), cfg, noise_std, gen)
        history["d_loss"].append(d)
        history["g_loss"].append(g)
        d_sum, g_sum, n = d_sum + d, g_sum + g, n + 1
        bar.set_postfix(epoch=epoch + 1, loss_D=f"{d:.3f}", loss_G=f"{g:.3f}")
    history["epoch_d"].append(d_sum / max(n, 1))
    history["epoch_g"].append(g_sum / max(n, 1))
    return time.perf_counter() - t0


@torch.no_grad()
def _sample(G, z: torch.Tensor) -> torch.Tensor:
    was_training = G.training
    G.eval()
    out = G(z).cpu()
    G.train(was_training)
    return out


def train_encoder(E, G, D, images: torch.Tensor, cfg: EncoderConfig | None = None, device=None,
                  progress: bool = True, loss=None) -> dict:
    """Train E with G and D frozen (izi_f); returns ``{'loss': [...], 'lr': [...], 'seconds': s}``
    (loss and learning rate per step). ``loss``: ``izi_f`` or a function with its signature."""
    cfg = cfg or EncoderConfig()
    loss_fn = loss or izi_f
    device = pick_device(device)
    freeze(G, D)
    G.to(device), D.to(device)
    E.to(device).train()
    opt = torch.optim.Adam(E.parameters(), cfg.lr, betas=(0.5, 0.999))
    steps = max(1, cfg.epochs * math.ceil(len(images) / cfg.batch_size))
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps) if cfg.cosine else None
    history, t0 = {"loss": [], "lr": []}, time.perf_counter()
    for epoch in progress_bar(range(cfg.epochs), desc=say("bar_encoder"), disable=not progress):
        gen = torch.Generator().manual_seed(cfg.seed * 1000 + epoch)
        for idx in _batches(len(images), cfg.batch_size, gen):
            loss = loss_fn(E, G, D, images[idx].to(device), cfg.kappa)
            _check(loss)
            opt.zero_grad()
            loss.backward()
            opt.step()
            history["loss"].append(loss.item())
            history["lr"].append(opt.param_groups[0]["lr"])
            if schedule is not None:
                schedule.step()
    E.eval()
    history["seconds"] = time.perf_counter() - t0
    return history


def train_encoder_cached(E, G, D, images: torch.Tensor, cfg: EncoderConfig, path, device=None,
                         progress: bool = True, loss=None) -> dict:
    """``train_encoder`` once: later calls with the same ``path`` (same settings and images, else
    refused) load E from it instead."""
    run = Checkpointer(path, cfg, tensor_identity(images), say("bar_encoder"), "train_encoder_cached", free=())
    state, _ = run.find(keys=("E",))            # written once, finished (files of earlier versions record no epoch)
    if state is None:
        history = train_encoder(E, G, D, images, cfg, device, progress, loss)
        run.finish({"E": E}, history)
        tell("trained", what=say("bar_encoder"), seconds=history["seconds"], name=run.path.name)
        return history
    E.load_state_dict(state["E"])
    E.to(pick_device(device)).eval()
    freeze(G, D)
    if not published.announced(path):           # a published file: `provide` said where it came from
        tell("finished", what=say("bar_encoder"), epochs=cfg.epochs, path=run.path)
    return state["history"]
