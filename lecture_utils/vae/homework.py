"""Checks for lecture 1's exercises.  ``check_*`` print a hint (public checks, run by the student);
the grading checks are lecturer code in the bundle (``notebooks/grading/01_vae_iterative_projection.json``).
None raises, so a notebook with unanswered exercises still runs to the end.

A public check holds no reference solution a student could call or copy: it tests properties and
small values computed by hand (``tests/lecturer/test_grading.py`` keeps it so).

1. ``bernoulli_kl(x, x_hat)``: Σ_pixels KL(x ‖ x̂), the reconstruction term of the ``kl`` energy.
2. ``lecture_grad(x_t, x_hat, x_0, lam)``: ∇E of the lecture's energy, by hand (a gradient check).
3. ``image_score(maps, k)``: an anomaly map [B, H, W] -> one score per image, the mean of its k largest values.
4. How far x_T moves from x_0 with λ = 0, relative to the lecture's λ.
5. ``divergence_energy(model, x_t, x_0, lam)``: the ``kl`` energy written from its definition, a sum of
   divergences Σ KL(x_t ‖ f_VAE(x_t)) + KL(N(μ, σ²) ‖ N(0, I)) + λ‖x_t − x_0‖₁, per image.

``tiny_vae`` and ``seeded_vae`` build the networks of check 5 (the same on every machine, also
for the grader, through ``hidden.build_net``).
"""
from __future__ import annotations

import math

import torch
from torch import nn

from ..checks import LOG_OF_ZERO, Plausible, by_hand, call, close, expect, number_of, on_meta, run, tensor_of
from ..messages import say
from .model import VAE
from .projection import step


def _uniform(seed: int, shape, low: float = 0.05, high: float = 0.95) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return low + (high - low) * torch.rand(*shape, generator=g, dtype=torch.float64)


def numeric_grad(f, x: torch.Tensor, h: float = 1e-6) -> torch.Tensor:
    """Central finite differences of the scalar ``f(x)`` for every element of ``x`` (float64)."""
    grad = torch.zeros_like(x)
    for i in range(x.numel()):
        dx = torch.zeros_like(x)
        dx.view(-1)[i] = h
        grad.view(-1)[i] = (float(f(x + dx)) - float(f(x - dx))) / (2 * h)
    return grad


def _autograd(f, x, no_grad) -> torch.Tensor:
    """∇_x Σ f(x) by autograd; Wrong with the hint ``no_grad`` when f's result has no gradient with respect to x."""
    x_in = x.clone().requires_grad_(True)
    got = f(x_in)
    expect(isinstance(got, torch.Tensor) and got.requires_grad, no_grad)
    return torch.autograd.grad(got.sum(), x_in)[0]


def _autograd_matches_numeric(f, x, name: str, no_grad) -> None:
    """autograd's gradient of the student's ``f`` agrees with finite differences of ``f`` itself
    (a value computed from a detached f_VAE(x), μ or log σ² changes the first but not the second)."""
    grad = _autograd(f, x, no_grad).double()
    close(grad, numeric_grad(lambda v: f(v).detach().sum(), x), name, rtol=1e-4, atol=1e-6)


# 1. bernoulli_kl --------------------------------------------------------------------------------

# Two images of four pixels: x, x̂ and Σ KL worked out by hand (KL of Bernoulli(p) from Bernoulli(q)
# at (p, q) = (.5, .5), (.5, .25), (.25, .5), (.9, .1), then four pixels with x̂ = x).
_KL_X = torch.tensor([[0.5, 0.5, 0.25, 0.9], [0.3, 0.3, 0.7, 0.7]], dtype=torch.float64).view(2, 1, 2, 2)
_KL_X_HAT = torch.tensor([[0.5, 0.25, 0.5, 0.1], [0.3, 0.3, 0.7, 0.7]], dtype=torch.float64).view(2, 1, 2, 2)
_KL_BY_HAND = torch.tensor([0.5 * math.log(4 / 3) + 0.25 * math.log(0.5) + 0.75 * math.log(1.5) + 0.8 * math.log(9),
                            0.0], dtype=torch.float64)


_NO_GRAD_X = {"en": "the result has no gradient with respect to x (use torch operations only)",
              "ja": "結果に x についての勾配がありません（torch の演算だけを使いましょう）"}


KL_SLIPS = {   # a typical slip: the hint naming it; the grader's hidden checks use them too
    "bce": {"en": "this is BCE(x_hat, x) alone: subtract the entropy H(x) (or write the KL itself)",
            "ja": "これは BCE(x_hat, x) だけです: エントロピー H(x) を引きましょう（または KL をそのまま書きましょう）"},
    "swapped": {"en": "this is KL(x_hat || x): the divergence is not symmetric, p = Bernoulli(x) and q = Bernoulli(x_hat)",
                "ja": "これは KL(x_hat || x) です: ダイバージェンスは対称ではありません。p = Bernoulli(x)、q = Bernoulli(x_hat) です"},
    "pixel mean": {"en": "a mean over the pixels: sum the divergence over the pixels of each image",
                   "ja": "画素についての平均です: 画像ごとに画素について和をとりましょう"},
    "one outcome": {"en": "only the outcome 1 is counted: add (1 - x) log((1 - x) / (1 - x_hat))",
                    "ja": "結果 1 だけを数えています: (1 - x) log((1 - x) / (1 - x_hat)) を加えましょう"},
}


def kl_slips(x, x_hat, ref) -> list:
    """What the slips of ``KL_SLIPS`` give on ``x``, ``x_hat`` [B, ...] (``ref``: the right divergence
    [B]), with their hints; the public check's and the hidden check's."""
    per_pixel = lambda p, q: p * (p / q).log() + (1 - p) * ((1 - p) / (1 - q)).log()   # noqa: E731
    given = {"bce": -(x * x_hat.log() + (1 - x) * (1 - x_hat).log()).flatten(1).sum(1),
             "swapped": per_pixel(x_hat, x).flatten(1).sum(1), "pixel mean": ref / x[0].numel(),
             "one outcome": (x * (x / x_hat).log()).flatten(1).sum(1)}
    return [(v, KL_SLIPS[k]) for k, v in given.items()]


def _bernoulli_kl(fn, cases) -> str:
    got = tensor_of(call(fn, _KL_X.clone(), _KL_X_HAT.clone()), (2,), "bernoulli_kl").double()
    close(got, _KL_BY_HAND, "bernoulli_kl on four pixels worked out by hand", why=LOG_OF_ZERO,
          mistakes=kl_slips(_KL_X, _KL_X_HAT, _KL_BY_HAND))
    for seed, shape in cases:
        x, x_hat = _uniform(seed, shape), _uniform(seed + 100, shape)
        zero = tensor_of(call(fn, x.clone(), x.clone()), (shape[0],), "bernoulli_kl(x, x)")
        expect(zero.abs().max() < 1e-6, {"en": "bernoulli_kl(x, x) must be 0: a divergence vanishes where f_VAE(x) = x",
                                         "ja": "bernoulli_kl(x, x) は 0 になるはずです: f_VAE(x) = x のときダイバージェンスは 0 です"})
        value = tensor_of(call(fn, x.clone(), x_hat.clone()), (shape[0],), "bernoulli_kl")
        expect(bool((value > 0).all()), {"en": "bernoulli_kl(x, x_hat) must be positive where x_hat differs from x",
                                         "ja": "x_hat が x と異なるとき bernoulli_kl(x, x_hat) は正になるはずです"})
        of_x = lambda v: call(fn, v, x_hat.clone())
        at_min = _autograd(of_x, x_hat, _NO_GRAD_X)
        expect(at_min.abs().max() < 1e-6, {"en": "the gradient with respect to x must be 0 at x = x_hat (the minimum)",
                                           "ja": "x = x_hat では x についての勾配は 0 になるはずです（最小値）"})
        _autograd_matches_numeric(of_x, x, "the gradient of bernoulli_kl (compared with finite differences of your "
                                  "function)", _NO_GRAD_X)
    return say({"en": "BCE - H is a divergence: 0 where the VAE reproduces x, positive elsewhere.",
                "ja": "BCE - H はダイバージェンスです: VAE が x を再現する所で 0、それ以外では正になります。"})


def check_bernoulli_kl(fn) -> bool | None:
    """Exercise 1 (public): hand-worked values, 0 and positive, the gradient (0 at x̂ = x)."""
    return run(_bernoulli_kl, fn, [(0, (2, 1, 3, 3))])


# 2. lecture_grad --------------------------------------------------------------------------------

# x_t, x̂, x_0 (one image of three pixels) and ∇E = 2 (x_t - x̂) + λ sign(x_t - x_0) by hand, λ = 0.5.
_GRAD_ARGS = [torch.tensor(v, dtype=torch.float64).view(1, 1, 1, 3)
              for v in ([0.5, 0.2, 0.9], [0.3, 0.2, 0.95], [0.4, 0.6, 0.6])]
_GRAD_BY_HAND = torch.tensor([0.4 + 0.5, 0.0 - 0.5, -0.1 + 0.5], dtype=torch.float64).view(1, 1, 1, 3)


GRAD_SLIPS = {   # a typical slip: the hint naming it; the grader's hidden checks use them too
    "no 2": {"en": "the derivative of (x_t - x_hat)^2 is 2 (x_t - x_hat): the factor 2 is missing",
             "ja": "(x_t - x_hat)^2 の微分は 2 (x_t - x_hat) です: 係数 2 がありません"},
    "no l1": {"en": "the gradient of lam * ||x_t - x_0||_1 is missing", "ja": "lam * ||x_t - x_0||_1 の勾配がありません"},
    "l1 sign": {"en": "the L1 term's gradient points the wrong way: it pushes x_t away from x_0",
                "ja": "L1 項の勾配の向きが逆です: x_t を x_0 から遠ざけています"},
    "l2": {"en": "that is the gradient of lam * ||x_t - x_0||^2 (L2), not of the L1 norm",
           "ja": "これは L1 ノルムではなく lam * ||x_t - x_0||^2（L2）の勾配です"},
    "mean": {"en": "divided by the number of pixels: E sums over the pixels, it is not a mean",
             "ja": "画素数で割られています: E は画素についての和で、平均ではありません"},
}
# what those slips give on the three hand-worked pixels (λ = 0.5)
_GRAD_GIVEN = {"no 2": [0.2 + 0.5, 0.0 - 0.5, -0.05 + 0.5], "no l1": [0.4, 0.0, -0.1],
               "l1 sign": [0.4 - 0.5, 0.0 + 0.5, -0.1 - 0.5], "mean": [0.9 / 3, -0.5 / 3, 0.4 / 3]}
_GRAD_SLIPS = [(torch.tensor(v, dtype=torch.float64).view(1, 1, 1, 3), GRAD_SLIPS[k]) for k, v in _GRAD_GIVEN.items()]


def _lecture_grad(fn, cases) -> str:
    got = tensor_of(by_hand(fn, "lecture_grad", *(a.clone() for a in _GRAD_ARGS), 0.5), (1, 1, 1, 3),
                    "lecture_grad").double()
    close(got, _GRAD_BY_HAND, "lecture_grad on three pixels worked out by hand", mistakes=_GRAD_SLIPS)
    for seed, shape, lam in cases:
        x_t, x_hat = _uniform(seed, shape), _uniform(seed + 1, shape)
        side = torch.where(_uniform(seed + 2, shape) > 0.5, 1.0, -1.0)
        x_0 = x_t + side * (0.02 + 0.1 * _uniform(seed + 3, shape))   # no pixel near |x_t - x_0|'s kink
        got = tensor_of(call(fn, x_t.clone(), x_hat.clone(), x_0.clone(), lam), shape, "lecture_grad").double()
        energy = lambda x: ((x - x_hat).pow(2).sum() + lam * (x - x_0).abs().sum()).item()   # Σ ‖x − x̂‖² + λ‖x − x_0‖₁
        numeric = numeric_grad(energy, x_t)
        close(got, numeric, "lecture_grad (compared with finite differences of the energy)")
    return say({"en": "with f_VAE(x_t) held constant the gradient only pulls x_t toward the reconstruction "
                      "(and, by lam, toward x_0).",
                "ja": "f_VAE(x_t) を定数とすると、勾配は x_t を再構成の方へ（そして lam の分だけ x_0 の方へ）引くだけです。"})


def check_lecture_grad(fn) -> bool | None:
    """Exercise 2 (public): hand-worked values, then a gradient check by finite differences."""
    return run(_lecture_grad, fn, [(0, (2, 1, 3, 3), 0.05)])


# 3. image_score ---------------------------------------------------------------------------------

SCORE_SLIPS = {   # a typical slip: the hint naming it; the grader's hidden checks use them too
    "sum": {"en": "the sum of the k largest values: take their mean", "ja": "大きい方から k 個の値の和です: 平均をとりましょう"},
    "max": {"en": "the maximum whatever k: average the k largest values",
            "ja": "k によらず最大値です: 大きい方から k 個を平均しましょう"},
    "mean": {"en": "the mean of the whole map whatever k: average only the k largest values",
             "ja": "k によらずマップ全体の平均です: 大きい方から k 個だけを平均しましょう"},
    "smallest": {"en": "the mean of the k smallest values: take the largest",
                 "ja": "小さい方から k 個の平均です: 大きい方をとりましょう"},
}


def _image_score(fn, cases) -> str:
    for maps, k, expected in cases:
        got = tensor_of(call(fn, maps.clone(), k), (len(maps),), "image_score")
        flat = maps.flatten(1)
        given = {"sum": expected * k, "max": flat.amax(1), "mean": flat.mean(1)}
        close(got, expected, f"image_score with k = {k}", mistakes=[(given[s], SCORE_SLIPS[s]) for s in given])
    return say({"en": "k = 1 is the maximum (one bad pixel decides), larger k averages over a region.",
                "ja": "k = 1 は最大値（1 画素で決まる）で、k を大きくすると領域で平均します。"})


def check_image_score(fn) -> bool | None:
    """Exercise 3 (public): maps whose top-k means are known (values 0..8 and 8..0 in a 3 x 3 map)."""
    maps = torch.stack([torch.arange(9.0).view(3, 3), torch.arange(9.0).flip(0).view(3, 3)])
    return run(_image_score, fn, [(maps, 2, torch.tensor([7.5, 7.5])), (maps, 1, torch.tensor([8.0, 8.0])),
                                  (maps[:1], 9, torch.tensor([4.0]))])


# 4. moved_ratio ---------------------------------------------------------------------------------

def _moved_ratio(answer) -> str:
    ratio = number_of(answer, "moved_ratio")
    expect(ratio > 0, {"en": "moved_ratio is a ratio of two L1 distances, so it is positive",
                       "ja": "moved_ratio は2つの L1 距離の比なので正の数です"})
    return Plausible(say({"en": "moved_ratio = {ratio:.2f} is a positive ratio.", "ja": "moved_ratio = {ratio:.2f} は正の比です。"},
                         ratio=ratio))


def check_moved_ratio(answer) -> bool | None:
    """Exercise 4 (public): one positive finite number (the grader recomputes the ratio)."""
    return run(_moved_ratio, answer)


# 5. divergence_energy ---------------------------------------------------------------------------

class TinyVAE(nn.Module):
    """A VAE small enough for finite differences: one linear layer each way, ``forward(x)`` returns
    (f_VAE(x), μ, log σ²) with z = μ, as the lecture's VAE in eval mode; float64."""

    def __init__(self, channels: int, size: int, z_dim: int):
        super().__init__()
        n = channels * size * size
        self.encoder, self.decoder = nn.Linear(n, 2 * z_dim), nn.Linear(z_dim, n)

    def forward(self, x):
        mu, logvar = self.encoder(x.flatten(1)).chunk(2, dim=1)       # [B, z_dim] each
        return torch.sigmoid(self.decoder(mu)).view_as(x), mu, logvar


def tiny_vae(seed: int, channels: int = 1, size: int = 3, z_dim: int = 2) -> TinyVAE:
    """The TinyVAE of a check, its weights drawn from ``seed`` (the same on every machine)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return TinyVAE(channels, size, z_dim).double()


def seeded_vae(seed: int, z_dim: int = 4, channels: int = 1) -> VAE:
    """The lecture's VAE architecture (128 x 128) with weights drawn from ``seed``."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return VAE(z_dim=z_dim, input_c=channels)


class _Fixed(nn.Module):
    """f_VAE(x) = 0.5 everywhere and fixed μ, log σ² [2, 2]: the energy worked out by hand below."""

    def __init__(self, mu, logvar):
        super().__init__()
        self.register_buffer("mu", mu)
        self.register_buffer("logvar", logvar)

    def forward(self, x):
        return torch.full_like(x, 0.5), self.mu, self.logvar


# Two images of four pixels, λ = 0.5, f_VAE = 0.5. Image 1: x_t = x_0 = (0, 1, 0.5, 0.25), μ = 0, σ² = 1:
# Σ KL = log 2 + log 2 + 0 + (0.25 log 0.5 + 0.75 log 1.5) (0 · log 0 = 0), no Gaussian KL, no L1.
# Image 2: x_t = 0.5, x_0 = (0.5, 0.5, 0, 1): no Bernoulli KL, λ‖x_t − x_0‖₁ = 0.5 · 1;
# μ = (1, 2), σ² = (1, 2): KL = ½ Σ (μ² + σ² − 1 − log σ²) = ½ (1 + 5 − log 2).
_DIV_X = torch.tensor([[0.0, 1.0, 0.5, 0.25], [0.5, 0.5, 0.5, 0.5]], dtype=torch.float64).view(2, 1, 2, 2)
_DIV_X0 = torch.tensor([[0.0, 1.0, 0.5, 0.25], [0.5, 0.5, 0.0, 1.0]], dtype=torch.float64).view(2, 1, 2, 2)
_DIV_MU = torch.tensor([[0.0, 0.0], [1.0, 2.0]], dtype=torch.float64)
_DIV_LOGVAR = torch.tensor([[0.0, 0.0], [0.0, math.log(2)]], dtype=torch.float64)
_DIV_BY_HAND = torch.tensor([2 * math.log(2) + 0.25 * math.log(0.5) + 0.75 * math.log(1.5),
                             0.5 + 0.5 * (6 - math.log(2))], dtype=torch.float64)


DIVERGENCE_SLIPS = {   # a typical slip: the hint naming it; the grader's hidden checks use them too
    "sigma": {"en": "the Gaussian KL uses sigma where sigma^2 belongs: with log sigma^2 = logvar, sigma^2 = logvar.exp()",
              "ja": "ガウス分布の KL で sigma^2 の所に sigma を使っています: log sigma^2 = logvar なので sigma^2 = logvar.exp() です"},
    "log sigma": {"en": "the Gaussian KL uses log sigma where log sigma^2 belongs (logvar is log sigma^2)",
                  "ja": "ガウス分布の KL で log sigma^2 の所に log sigma を使っています（logvar は log sigma^2 です）"},
    "no half": {"en": "the Gaussian KL lacks its factor 1/2", "ja": "ガウス分布の KL に係数 1/2 がありません"},
    "no gaussian": {"en": "the KL(N(mu, sigma^2) || N(0, I)) term is missing",
                    "ja": "KL(N(mu, sigma^2) || N(0, I)) の項がありません"},
    "latent mean": {"en": "the Gaussian KL is a mean over the dimensions of z: the dimensions' divergences add up (a sum)",
                    "ja": "ガウス分布の KL が z の次元についての平均です: 各次元のダイバージェンスは足し合わせます（和）"},
    "pixel mean": {"en": "the Bernoulli KL is a mean over the pixels: E sums it over the pixels",
                   "ja": "ベルヌーイ分布の KL が画素についての平均です: E は画素について和をとります"},
    "l1 mean": {"en": "lam * ||x_t - x_0||_1 is a mean over the pixels: the L1 norm is a sum",
                "ja": "lam * ||x_t - x_0||_1 が画素についての平均です: L1 ノルムは和です"},
}
EDGE_GRADIENT = {"en": "the gradient is NaN or inf at pixels of exactly 0 or 1 (the step clamps pixels there): "
                       "torch.xlogy(a, b) counts 0 log 0 as 0 but its gradient log b is -inf at b = 0; b.clamp(min=1e-6) "
                       "keeps it finite",
                 "ja": "ちょうど 0 や 1 の画素で勾配が NaN か inf です（step は画素をそこで切り詰めます）: torch.xlogy(a, b) は "
                       "0 log 0 を 0 と数えますが、その勾配 log b は b = 0 で -inf です。b.clamp(min=1e-6) で有限に保てます"}
_NO_GRAD_XT = {"en": "the result has no gradient with respect to x_t (torch operations only, no .detach() or no_grad)",
               "ja": "結果に x_t についての勾配がありません（torch の演算だけを使い、.detach() や no_grad は使わないでください）"}


def _divergence_slips() -> list:
    """What the Gaussian slips of ``DIVERGENCE_SLIPS`` give on the two hand-worked images."""
    gaussian = lambda variance, log_variance: 0.5 * (_DIV_MU.pow(2) + variance - 1 - log_variance)   # [2, z_dim]
    right = gaussian(_DIV_LOGVAR.exp(), _DIV_LOGVAR).sum(1)
    l1 = 0.5 * (_DIV_X - _DIV_X0).abs().flatten(1).sum(1)            # λ ‖x_t − x_0‖₁, λ = 0.5
    rest, bernoulli = _DIV_BY_HAND - right, _DIV_BY_HAND - right - l1
    given = {"sigma": rest + gaussian((0.5 * _DIV_LOGVAR).exp(), _DIV_LOGVAR).sum(1),
             "log sigma": rest + gaussian(_DIV_LOGVAR.exp(), 0.5 * _DIV_LOGVAR).sum(1),
             "no half": rest + 2 * right, "no gaussian": rest, "latent mean": rest + right / 2,
             "pixel mean": bernoulli / 4 + right + l1, "l1 mean": bernoulli + right + l1 / 4}
    return [(given[k], DIVERGENCE_SLIPS[k]) for k in given]


def _finite_at_edges(fn, model, x_0, lam) -> None:
    """E's gradient is finite at pixels of exactly 0 and 1 (the projection differentiates E there)."""
    grad = _autograd(lambda x_t: call(fn, model, x_t, x_0.clone(), lam), x_0, _NO_GRAD_XT)
    expect(bool(torch.isfinite(grad).all()), EDGE_GRADIENT)


def _divergence_energy(fn, cases) -> str:
    got = tensor_of(call(fn, _Fixed(_DIV_MU, _DIV_LOGVAR), _DIV_X.clone(), _DIV_X0.clone(), 0.5), (2,),
                    "divergence_energy")
    close(got.double(), _DIV_BY_HAND, "divergence_energy on two images worked out by hand "
          "(pixels of exactly 0 and 1 included: 0 log 0 = 0)", why=LOG_OF_ZERO, mistakes=_divergence_slips())
    for seed, shape, lam in cases:
        model = tiny_vae(seed, shape[1], shape[2])
        x_0 = _uniform(seed, shape, 0.0, 1.0)
        x_0[0, 0, 0, :2] = torch.tensor([0.0, 1.0])                  # the step clamps pixels to exactly 0 and 1
        e = tensor_of(call(fn, model, x_0.clone(), x_0.clone(), lam), (shape[0],), "divergence_energy")
        expect(bool(torch.isfinite(e).all() and (e >= 0).all()),
               {"en": "E must be finite and >= 0 on images in [0, 1]: each term is a divergence or a distance",
                "ja": "[0, 1] の画像では E は有限で 0 以上のはずです: どの項もダイバージェンスか距離です"})
        _finite_at_edges(fn, model, x_0, lam)
        x_t = _uniform(seed + 1, shape)
        l1 = (x_t - x_0).abs().flatten(1).sum(1)
        with_l1 = tensor_of(call(fn, model, x_t.clone(), x_0.clone(), lam), (shape[0],), "divergence_energy").double()
        without = tensor_of(call(fn, model, x_t.clone(), x_0.clone(), 0.0), (shape[0],), "divergence_energy").double()
        close(with_l1 - without, lam * l1, "E(lam) - E(0), which must be lam * ||x_t - x_0||_1 per image")
        _autograd_matches_numeric(
            lambda v: call(fn, model, v, x_0.clone(), lam), x_t, "the gradient of divergence_energy (compared with "
            "finite differences of your function; f_VAE(x_t), mu and log sigma^2 must not be detached)", _NO_GRAD_XT)
        _energy_falls(fn, model, x_t, lam)
        on_meta(fn, "divergence_energy", model, x_t, x_0, lam)                # no tensor made on the CPU
    return say({"en": "the kl energy is a sum of divergences: 0 only where the VAE reproduces x_t, its code is the "
                      "prior's, and x_t = x_0.",
                "ja": "kl エネルギーはダイバージェンスの和です: VAE が x_t を再現し、その符号が事前分布どおりで、"
                      "x_t = x_0 のときだけ 0 になります。"})


def _energy_falls(fn, model, x_0, lam, alpha: float = 0.5, steps: int = 5) -> None:
    """A few steps x_{t+1} = x_t − α (∇E ⊙ (x_t − f_VAE(x_t))²) from x_0 (pixels inside (0, 1)) lower
    every image's E."""
    x_t, start = x_0.clone(), None
    for _ in range(steps + 1):
        x_in = x_t.clone().requires_grad_(True)
        e = call(fn, model, x_in, x_0.clone(), lam)
        (grad,) = torch.autograd.grad(e.sum(), x_in)
        start = e.detach() if start is None else start
        with torch.no_grad():
            x_t = step(x_t, grad, model(x_t)[0], alpha)
    expect(bool((e.detach() < start).all()), {"en": "{steps} projection steps with your energy did not lower it",
                                              "ja": "あなたのエネルギーで射影を{steps}回行っても、エネルギーが下がりませんでした"},
           steps=steps)


def check_divergence_energy(fn) -> bool | None:
    """Exercise 5 (public): values worked out by hand (pixels of 0 and 1 included), E >= 0, the L1 part,
    autograd against finite differences on a tiny VAE, the energy falling under the projection step,
    and no tensor created on the CPU (the tiny VAE and images on the meta device)."""
    return run(_divergence_energy, fn, [(0, (2, 1, 3, 3), 0.05), (1, (1, 2, 2, 2), 1.0)])
