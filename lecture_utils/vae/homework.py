"""Checks for lecture 1's exercises.  ``check_*`` print a hint (public checks, run by the student);
the grading checks are lecturer code in the bundle (``notebooks/grading/01_vae_iterative_projection.json``).
None raises, so a notebook with unanswered exercises still runs to the end.

1. ``bernoulli_kl(x, x_hat)``: Σ_pixels KL(x ‖ x̂), the reconstruction term of the ``kl`` energy.
2. ``lecture_grad(x_t, x_hat, x_0, lam)``: ∇E of the lecture's energy, by hand (a gradient check).
3. ``image_score(maps, k)``: an anomaly map [B, H, W] -> one score per image, the mean of its k largest values.
4. How far x_T moves from x_0 with λ = 0, relative to the lecture's λ.
"""
from __future__ import annotations

from dataclasses import replace

import torch

from ..checks import NotAnswered, call, close, expect, run, say, tensor_of
from .projection import entropy, l1_term, project


def _uniform(seed: int, shape, low: float = 0.05, high: float = 0.95) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return low + (high - low) * torch.rand(*shape, generator=g, dtype=torch.float64)


# 1. bernoulli_kl --------------------------------------------------------------------------------

def _kl_reference(x, x_hat):
    """BCE(x̂, x) − H(x) per image, the ``kl`` energy's reconstruction term (projection.kl_energy)."""
    bce = -(x * x_hat.log() + (1 - x) * (1 - x_hat).log()).flatten(1).sum(1)
    return bce - entropy(x)


def _bernoulli_kl(fn, cases) -> str:
    for seed, shape in cases:
        x, x_hat = _uniform(seed, shape), _uniform(seed + 100, shape)
        x_in = x.clone().requires_grad_(True)
        got = call(fn, x_in, x_hat.clone())
        got_t = tensor_of(got, (shape[0],), "bernoulli_kl").double()
        close(got_t, _kl_reference(x, x_hat), "bernoulli_kl")
        zero = tensor_of(call(fn, x.clone(), x.clone()), (shape[0],), "bernoulli_kl(x, x)").double()
        expect(zero.abs().max() < 1e-6, "bernoulli_kl(x, x) must be 0: a divergence vanishes where f_VAE(x) = x",
               "bernoulli_kl(x, x) は 0 になるはずです: f_VAE(x) = x のときダイバージェンスは 0 です")
        expect(got.requires_grad, "the result has no gradient with respect to x (use torch operations only)",
               "結果に x についての勾配がありません（torch の演算だけを使いましょう）")
        (grad,) = torch.autograd.grad(got.sum(), x_in)
        x_ref = x.clone().requires_grad_(True)
        (ref,) = torch.autograd.grad(_kl_reference(x_ref, x_hat).sum(), x_ref)
        close(grad.double(), ref, "the gradient of bernoulli_kl with respect to x")
    return say("BCE - H is a divergence: 0 where the VAE reproduces x, positive elsewhere.",
               "BCE - H はダイバージェンスです: VAE が x を再現する所で 0、それ以外では正になります。")


def check_bernoulli_kl(fn) -> bool | None:
    """Exercise 1 (public): values, 0 at x̂ = x, and the gradient with respect to x."""
    return run(_bernoulli_kl, fn, [(0, (2, 1, 4, 4))])



# 2. lecture_grad --------------------------------------------------------------------------------

def _lecture_grad(fn, cases) -> str:
    for seed, shape, lam in cases:
        x_t, x_hat = _uniform(seed, shape), _uniform(seed + 1, shape)
        x_0 = x_t + (_uniform(seed + 2, shape) - 0.5) * 0.2               # never equal to x_t
        got = tensor_of(call(fn, x_t.clone(), x_hat.clone(), x_0.clone(), lam), shape, "lecture_grad").double()
        x = x_t.clone().requires_grad_(True)
        energy = (x - x_hat).pow(2).flatten(1).sum(1) + lam * l1_term(x, x_0)   # f_VAE(x_t) held constant
        (ref,) = torch.autograd.grad(energy.sum(), x)
        close(got, ref, "lecture_grad (compared with autograd's gradient of the lecture's energy)")
    return say("with f_VAE(x_t) held constant the gradient only pulls x_t toward the reconstruction "
               "(and, by lam, toward x_0).",
               "f_VAE(x_t) を定数とすると、勾配は x_t を再構成の方へ（そして lam の分だけ x_0 の方へ）引くだけです。")


def check_lecture_grad(fn) -> bool | None:
    """Exercise 2 (public): a gradient check against autograd."""
    return run(_lecture_grad, fn, [(0, (2, 1, 4, 4), 0.05)])



# 3. image_score ---------------------------------------------------------------------------------

def _image_score(fn, cases) -> str:
    for maps, k, expected in cases:
        got = tensor_of(call(fn, maps.clone(), k), (len(maps),), "image_score")
        close(got, expected, f"image_score with k = {k}")
    return say("k = 1 is the maximum (one bad pixel decides), larger k averages over a region.",
               "k = 1 は最大値（1 画素で決まる）で、k を大きくすると領域で平均します。")


def check_image_score(fn) -> bool | None:
    """Exercise 3 (public): maps whose top-k means are known (values 0..8 and 8..0 in a 3 x 3 map)."""
    maps = torch.stack([torch.arange(9.0).view(3, 3), torch.arange(9.0).flip(0).view(3, 3)])
    return run(_image_score, fn, [(maps, 2, torch.tensor([7.5, 7.5])), (maps, 1, torch.tensor([8.0, 8.0])),
                                  (maps[:1], 9, torch.tensor([4.0]))])


# 4. moved_ratio ---------------------------------------------------------------------------------

def _moved_ratio(answer, model, x_0, config) -> str:
    if answer is None:
        raise NotAnswered
    x_0 = x_0.cpu()
    moved = [l1_term(project(model, x_0, replace(config, lam=lam)).x, x_0).sum().item() for lam in (0.0, config.lam)]
    ratio = moved[0] / max(moved[1], 1e-12)
    expect(abs(float(answer) - ratio) <= 1e-3 * max(1.0, abs(ratio)),
           f"{float(answer):.3f} is not sum ||x_T - x_0||_1 with lam = 0 divided by the same sum with lam = "
           f"{config.lam} (same images, same alpha and iterations)",
           f"{float(answer):.3f} は lam = 0 での ||x_T - x_0||_1 の合計を lam = {config.lam} での合計で割った値では"
           "ありません（同じ画像、同じ alpha と反復回数）")
    return say(f"with lam = 0, x_T moves {ratio:.2f} times as far from x_0: the L1 term keeps the normal pixels "
               "where they are.", f"lam = 0 では x_T が x_0 から {ratio:.2f} 倍遠くへ動きます: L1 項が正常な画素を"
               "元の位置に留めています。")


def check_moved_ratio(answer, model, x_0, config) -> bool | None:
    """Exercise 4 (public): recomputed with ``project`` (the package's batched loop)."""
    return run(_moved_ratio, answer, model, x_0, config)
