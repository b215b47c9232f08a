"""Checks for the AnoGAN lecture's exercises.  ``check_*`` print a hint (public checks, run by the
student); the grading checks are lecturer code in the bundle (``notebooks/grading/02_anogan.json``).
None raises, so a notebook with unanswered exercises still runs to the end.

A public check holds no reference solution a student could call or copy: it tests properties and
small values computed by hand, on hand-made networks whose outputs are known (``tests/lecturer/test_grading.py``
keeps it so).

1. ``threshold_at_fpr(normal_scores, fpr)``: a threshold that flags at most ``fpr`` of the normal images.
2. The search's true-positive rate on the test anomalies at a 5 % false-positive rate, the threshold
   taken from held-out normal images (never from the test set).
3. ``ziz_loss(E, G, z)``: f-AnoGAN's other encoder loss, mean (z - E(G(z)))².
4. ``sgd_search(G, D, x, z0, lr, iterations, lam)``: the latent search with plain gradient descent.
"""
from __future__ import annotations

import torch
from torch import nn

from ..checks import Plausible, call, close, expect, number_of, run, tensor_of
from ..messages import say
from . import dcgan


# 1. threshold_at_fpr ----------------------------------------------------------------------------

# (normal scores, fpr, [lowest, highest) threshold that is right): worked out by hand; fpr · n is not
# always a whole number (10 · 0.25 = 2.5: two images may be above t), and is one only up to float
# rounding in the last (0.29 · 100 = 28.999999999999996: 29 images may be above t, not 28).
_THRESHOLDS = [([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.1, (9, 10)), ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.25, (8, 9)),
               ([3, 1, 4, 1.5, 5, 9, 2, 6], 0.2, (6, 9)), ([3, 1, 4, 1.5, 5, 9, 2, 6], 0.5, (3, 4)),
               ([2, 7, 5], 0.0, (7, float("inf"))), (list(range(1, 101)), 0.29, (71, 72))]


def _rounding(fpr: float, n: int) -> str:
    """A note when fpr · n is a whole number only up to float rounding, else ''."""
    allowed = fpr * n
    if allowed == round(allowed) or abs(allowed - round(allowed)) > 1e-9:
        return ""
    return say({"en": " (careful: fpr * N = {allowed!r} in floating point, not {whole})",
                "ja": "（注意: 浮動小数点では fpr * N = {allowed!r} で、{whole} ではありません）"},
               allowed=allowed, whole=round(allowed))


TOO_FEW = {"en": "with fpr = {fpr} a lower threshold would still flag at most that share of normal images: "
                 "flag as many images as allowed{note}",
           "ja": "fpr = {fpr} では、より低いしきい値でも正常画像の誤検出はその割合以下です: 許される範囲で"
                 "できるだけ多くの画像を検出しましょう{note}"}   # a threshold that flags fewer than fpr allows


def _one_number(got, name: str) -> float:
    expect(got is not None and (not isinstance(got, torch.Tensor) or got.numel() == 1),
           {"en": "{name} must return one number", "ja": "{name} は1つの数を返す必要があります"}, name=name)
    return float(got)


def _threshold_at_fpr(fn, cases) -> str:
    for scores, fpr, (low, high) in _THRESHOLDS:
        normal = torch.tensor(scores, dtype=torch.float32)
        t = _one_number(call(fn, normal.clone(), fpr), "threshold_at_fpr")
        above = int((normal > t).sum())
        expect(t >= low, {"en": "with fpr = {fpr}, {above} of {n} normal scores are above your threshold: too many",
                          "ja": "fpr = {fpr} のとき、{n} 個の正常スコアのうち {above} 個がしきい値を超えています: 多すぎます"},
               fpr=fpr, above=above, n=len(normal))
        expect(t < high, TOO_FEW, fpr=fpr, note=_rounding(fpr, len(normal)))
    for seed, n, fpr in cases:
        normal = torch.randn(n, generator=torch.Generator().manual_seed(seed)) * 3 + 10
        t = _one_number(call(fn, normal.clone(), fpr), "threshold_at_fpr")
        flagged, allowed = int((normal > t).sum()), fpr * n + 1e-9
        expect(flagged <= allowed, {"en": "with fpr = {fpr}, {share:.1%} of the normal scores are above your threshold",
                                    "ja": "fpr = {fpr} のとき、正常スコアの {share:.1%} がしきい値を超えています"},
               fpr=fpr, share=flagged / n)
        expect(flagged + 1 > allowed, TOO_FEW, fpr=fpr, note=_rounding(fpr, n))
    return say({"en": "the threshold is an order statistic of the normal scores: only they fix the false alarms.",
                "ja": "しきい値は正常スコアの順序統計量です: 誤検出を決めるのは正常スコアだけです。"})


def check_threshold_at_fpr(fn) -> bool | None:
    """Exercise 1 (public): short score lists whose thresholds are known, then the count of flagged
    normal scores (at most fpr · n, and one more image would be too many) on random scores, with
    fpr · n a whole number (5, 4), one only up to float rounding (100 · 0.29), not one (33 · 0.2 = 6.6,
    7 · 0.25 = 1.75) and 0."""
    return run(_threshold_at_fpr, fn, RANDOM_THRESHOLDS)


# (seed, n, fpr) of the random normal scores of exercise 1's public check
RANDOM_THRESHOLDS = [(0, 100, 0.05), (1, 40, 0.1), (5, 33, 0.2), (6, 7, 0.25), (8, 29, 0.0), (9, 100, 0.29)]


# 2. tpr at 5 % fpr --------------------------------------------------------------------------------

def _tpr(answer, labels) -> str:
    tpr = number_of(answer, "tpr_at_5")
    n = int(torch.as_tensor(labels).bool().sum())
    expect(0 <= tpr <= 1, {"en": "tpr_at_5 is a share of the anomalies, a number in [0, 1], not {tpr:.3f}",
                           "ja": "tpr_at_5 は異常画像の割合なので [0, 1] の数です（{tpr:.3f} ではありません）"}, tpr=tpr)
    expect(abs(tpr * n - round(tpr * n)) < 1e-6 * max(n, 1),
           {"en": "tpr_at_5 must be a count of flagged anomalies divided by the {n} anomalies",
            "ja": "tpr_at_5 は検出した異常画像の数を異常画像の数 {n} で割った値です"}, n=n)
    return Plausible(say({"en": "{tpr:.0%} of the anomalies is a possible share; the AUROC averages over every "
                                "threshold, an inspection line runs at one.",
                          "ja": "異常の {tpr:.0%} はありうる割合です。AUROC はすべてのしきい値の平均ですが、検査ラインは"
                                "1つのしきい値で動きます。"}, tpr=tpr))


def check_tpr(answer, labels) -> bool | None:
    """Exercise 2 (public): a share in [0, 1] of the anomalies among ``labels`` (the grader
    recomputes it from the notebook's scores of the test set and of the held-out normal images)."""
    return run(_tpr, answer, labels)


# 3. ziz_loss ------------------------------------------------------------------------------------

def tiny_net(kind: str, seed: int) -> torch.nn.Module:
    """One small network ("G", "D" or "E", z_dim 4, width 8) of a check, the same on every machine."""
    G, D = dcgan.build(z_dim=4, width=8, seed=seed)
    return {"G": G, "D": D}.get(kind) or dcgan.build_encoder(z_dim=4, width=8, seed=seed + 1)


def _half_encoder() -> nn.Module:
    """E(x) = x / 2 (flattened): with G(z) = z, z - E(G(z)) = z / 2, worked out by hand below."""
    E = nn.Sequential(nn.Flatten(), nn.Linear(2, 2))
    with torch.no_grad():
        E[1].weight.copy_(0.5 * torch.eye(2))
        E[1].bias.zero_()
    return E


# z = [[2, 0], [0, -4]]: z - E(G(z)) = [[1, 0], [0, -2]], mean square 5 / 4; its gradient for E's weight
# -2/4 Σ_b r_b z_bᵀ = [[-1, 0], [0, -4]] and for its bias -2/4 Σ_b r_b = [-0.5, 1].
_ZIZ_Z = torch.tensor([[2.0, 0.0], [0.0, -4.0]])
_ZIZ_BY_HAND = (torch.tensor(1.25), torch.tensor([[-1.0, 0.0], [0.0, -4.0]]), torch.tensor([-0.5, 1.0]))


ZIZ_SLIPS = {   # a typical slip: the hint naming it; the grader's hidden checks use them too
    "sum": {"en": "a sum of the squares: take their mean over the batch and the latent dimensions",
            "ja": "2乗の和です: バッチと潜在次元について平均をとりましょう"},
    "latent sum": {"en": "the squares are summed over the latent dimensions: take the mean over them too",
                   "ja": "2乗を潜在次元について足しています: 潜在次元についても平均をとりましょう"},
}
_ZIZ_GIVEN = {"sum": 5.0, "latent sum": 2.5}   # those slips on the z below: squares [[1, 0], [0, 4]]


def _ziz_loss(fn, cases) -> str:
    E = _half_encoder()
    got = call(fn, E, nn.Identity(), _ZIZ_Z.clone())
    close(tensor_of(got, (), "ziz_loss"), _ZIZ_BY_HAND[0], "ziz_loss with E(x) = x / 2 and G(z) = z",
          mistakes=[(torch.tensor(v), ZIZ_SLIPS[k]) for k, v in _ZIZ_GIVEN.items()])
    expect(got.requires_grad, {"en": "the loss has no gradient for E (torch operations only, no .item() or no_grad)",
                               "ja": "損失に E の勾配がありません（torch の演算だけを使い、.item() や no_grad を使わないでください）"})
    grads = torch.autograd.grad(got, list(E.parameters()))
    for grad, by_hand in zip(grads, _ZIZ_BY_HAND[1:]):
        close(grad, by_hand, "the gradient of ziz_loss for E's weights (E(x) = x / 2, G(z) = z)")
    for seed, n in cases:
        z = torch.randn(n, 4, generator=torch.Generator().manual_seed(seed))
        loss = tensor_of(call(fn, tiny_net("E", seed), tiny_net("G", seed).eval(), z), (), "ziz_loss")
        expect(loss >= 0, {"en": "a mean of squares is never negative", "ja": "2乗の平均は負になりません"})
    return say({"en": "ziz compares latents, izi_f compares images and features; f-AnoGAN found izi_f the better "
                      "encoder.",
                "ja": "ziz は潜在変数を、izi_f は画像と特徴を比べます。f-AnoGAN では izi_f の方が良いエンコーダでした。"})


def check_ziz_loss(fn) -> bool | None:
    """Exercise 3 (public): the value and its gradient for E worked out by hand on E(x) = x / 2,
    G(z) = z; a scalar >= 0 on a tiny E and G."""
    return run(_ziz_loss, fn, [(0, 3)])


# 4. sgd_search ----------------------------------------------------------------------------------

class _Square(nn.Module):
    """G(z) = z² as a 1 x 1 image."""

    def forward(self, z):
        return z.reshape(len(z), 1, 1, 1) ** 2


class _Features(nn.Module):
    """D whose feature f_D(x) is the image itself: then A(x) = |x - G(z)| whatever λ."""

    def forward(self, x):
        return x.flatten(1).sum(1, keepdim=True), x.flatten(1)


# x = 4, G(z) = z² < 4: A = 4 - z², dA/dz = -2z, so each step is z <- z (1 + 2 lr): after 3 steps of
# lr = 0.1, z0 times 1.2³ = 1.728 (Adam would move each z by about lr per step instead).
_SEARCH = dict(x=torch.full((2, 1, 1, 1), 4.0), z0=torch.tensor([[1.0], [-0.5]]), lr=0.1, iterations=3,
               z=torch.tensor([[1.728], [-0.864]]))


def _sgd_search(fn, cases) -> str:
    s = _SEARCH
    got = tensor_of(call(fn, _Square(), _Features(), s["x"].clone(), s["z0"].clone(), s["lr"], s["iterations"], 0.1),
                    (2, 1), "sgd_search")
    close(got, s["z"], "the z found by sgd_search with G(z) = z², x = 4 (worked out by hand)", rtol=1e-4)
    for seed, n, lr, iterations, lam in cases:
        G, D = tiny_net("G", seed).train(), tiny_net("D", seed).train()   # as after training: the search must freeze them
        g = torch.Generator().manual_seed(seed)
        x, z0 = torch.rand(n, 1, 64, 64, generator=g) * 2 - 1, torch.randn(n, 4, generator=g)
        before = z0.clone()
        tensor_of(call(fn, G, D, x, z0, lr, iterations, lam), (n, 4), "sgd_search")
        expect(torch.equal(z0, before), {"en": "sgd_search changed z0 in place; start from a copy (z0.clone())",
                                         "ja": "sgd_search が z0 をその場で書き換えました。コピー（z0.clone()）から始めましょう"})
        expect(not G.training and not D.training, {"en": "put G and D in eval mode (BatchNorm must not use the batch)",
                                                   "ja": "G と D を eval モードにしましょう（BatchNorm がバッチの統計を使わないように）"})
        expect(all(p.grad is None or not p.grad.any() for p in [*G.parameters(), *D.parameters()]),
               {"en": "G's or D's weights received gradients: freeze them (requires_grad_(False)), only z is optimised",
                "ja": "G か D の重みに勾配が付きました: requires_grad_(False) で固定しましょう。最適化するのは z だけです"})
    return say({"en": "plain gradient descent with one step size for every z; compare how fast A(x) falls with Adam's.",
                "ja": "すべての z に同じ歩幅を使う単純な勾配降下です。A(x) の下がり方を Adam と比べましょう。"})


def check_sgd_search(fn) -> bool | None:
    """Exercise 4 (public): three steps worked out by hand on G(z) = z²; on a tiny G and D in training
    mode, z0 unchanged and G, D frozen in eval mode."""
    return run(_sgd_search, fn, [(0, 2, 0.01, 3, 0.1)])
