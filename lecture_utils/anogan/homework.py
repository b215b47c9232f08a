"""Checks for the AnoGAN lecture's exercises.  ``check_*`` print a hint (public checks, run by the
student); the grading checks are lecturer code in the bundle (``notebooks/grading/02_anogan.json``).
None raises, so a notebook with unanswered exercises still runs to the end.

1. ``threshold_at_fpr(normal_scores, fpr)``: a threshold that flags at most ``fpr`` of the normal images.
2. The search's true-positive rate at a 5 % false-positive rate.
3. ``ziz_loss(E, G, z)``: f-AnoGAN's other encoder loss, mean (z - E(G(z)))².
4. ``sgd_search(G, D, x, z0, lr, iterations, lam)``: the latent search with plain gradient descent.
"""
from __future__ import annotations

import torch

from ..checks import NotAnswered, call, close, expect, run, say, tensor_of
from . import dcgan
from .score import anomaly_loss, freeze


# 1. threshold_at_fpr ----------------------------------------------------------------------------

def _threshold(normal: torch.Tensor, fpr: float) -> torch.Tensor:
    """The smallest normal score t with mean(normal > t) <= fpr (scores without ties)."""
    s = normal.sort().values
    allowed = int(fpr * len(s) + 1e-9)                                 # normal images allowed above t
    return s[len(s) - 1 - allowed]


def _threshold_at_fpr(fn, cases) -> str:
    for seed, n, fpr in cases:
        normal = torch.randn(n, generator=torch.Generator().manual_seed(seed)) * 3 + 10
        got = call(fn, normal.clone(), fpr)
        t = float(got.item() if isinstance(got, torch.Tensor) else got)
        ref, s = _threshold(normal, fpr).item(), normal.sort().values
        above = (normal > t).float().mean().item()
        expect((normal > t).sum().item() <= int(fpr * n + 1e-9), f"with fpr = {fpr}, {above:.1%} of the normal scores are above your threshold",
               f"fpr = {fpr} のとき、正常スコアの {above:.1%} がしきい値を超えています")
        next_up = s[s > ref]
        expect(t >= ref and (len(next_up) == 0 or t < next_up[0].item()),
               f"with fpr = {fpr} a lower threshold would still flag at most that share of normal images: "
               "flag as many images as allowed", f"fpr = {fpr} では、より低いしきい値でも正常画像の誤検出はその割合以下です: "
               "許される範囲でできるだけ多くの画像を検出しましょう")
    return say("the threshold is an order statistic of the normal scores: only they fix the false alarms.",
               "しきい値は正常スコアの順序統計量です: 誤検出を決めるのは正常スコアだけです。")


def check_threshold_at_fpr(fn) -> bool | None:
    """Exercise 1 (public)."""
    return run(_threshold_at_fpr, fn, [(0, 100, 0.05), (1, 40, 0.1)])



# 2. tpr at 5 % fpr --------------------------------------------------------------------------------

def _tpr(answer, scores, labels, fpr) -> str:
    if answer is None:
        raise NotAnswered
    labels = torch.as_tensor(labels).bool()
    t = _threshold(scores[~labels], fpr)
    tpr = (scores[labels] > t).float().mean().item()
    expect(abs(float(answer) - tpr) < 1e-6, f"{float(answer):.3f} is not the share of anomalies scored above "
           f"the threshold that flags {fpr:.0%} of the normal test images", f"{float(answer):.3f} は、正常なテスト画像の "
           f"{fpr:.0%} を検出するしきい値を超える異常画像の割合ではありません")
    return say(f"at {fpr:.0%} false alarms the search finds {tpr:.0%} of the anomalies; the AUROC averages over "
               "every threshold, an inspection line runs at one.", f"誤検出 {fpr:.0%} で探索は異常の {tpr:.0%} を"
               "見つけます。AUROC はすべてのしきい値の平均ですが、検査ラインは1つのしきい値で動きます。")


def check_tpr(answer, scores, labels, fpr: float = 0.05) -> bool | None:
    """Exercise 2 (public): ``answer`` is the true-positive rate of ``scores`` at ``fpr``."""
    return run(_tpr, answer, scores, labels, fpr)



# 3. ziz_loss ------------------------------------------------------------------------------------

def tiny_net(kind: str, seed: int) -> torch.nn.Module:
    """One small network ("G", "D" or "E", z_dim 4, width 8) of a check, the same on every machine."""
    G, D = dcgan.build(z_dim=4, width=8, seed=seed)
    return {"G": G, "D": D}.get(kind) or dcgan.build_encoder(z_dim=4, width=8, seed=seed + 1)


def _tiny(seed: int, z_dim: int = 4):
    G, D = dcgan.build(z_dim=z_dim, width=8, seed=seed)
    E = dcgan.build_encoder(z_dim=z_dim, width=8, seed=seed + 1)
    freeze(G, D)
    E.eval()
    return E, G, D


def _ziz_loss(fn, cases) -> str:
    for seed, n in cases:
        E, G, _ = _tiny(seed)
        z = torch.randn(n, 4, generator=torch.Generator().manual_seed(seed))
        E.zero_grad()
        got = call(fn, E, G, z.clone())
        value = tensor_of(got, (), "ziz_loss")
        ref = (z - E(G(z))).pow(2).mean()
        close(value, ref.detach(), "ziz_loss")
        expect(got.requires_grad, "the loss has no gradient for E (torch operations only, no .item() or no_grad)",
               "損失に E の勾配がありません（torch の演算だけを使い、.item() や no_grad を使わないでください）")
        grads = torch.autograd.grad(got, list(E.parameters()))
        refs = torch.autograd.grad(ref, list(E.parameters()))
        close(torch.cat([g.flatten() for g in grads]), torch.cat([r.flatten() for r in refs]),
              "the gradient of ziz_loss with respect to E's weights", rtol=1e-3, atol=1e-6)
    return say("ziz compares latents, izi_f compares images and features; f-AnoGAN found izi_f the better encoder.",
               "ziz は潜在変数を、izi_f は画像と特徴を比べます。f-AnoGAN では izi_f の方が良いエンコーダでした。")


def check_ziz_loss(fn) -> bool | None:
    """Exercise 3 (public): the value and its gradient for E's weights on a tiny E and G."""
    return run(_ziz_loss, fn, [(0, 3)])



# 4. sgd_search ----------------------------------------------------------------------------------

def _sgd_reference(G, D, x, z0, lr, iterations, lam):
    z = z0.clone().requires_grad_(True)
    for _ in range(iterations):
        (grad,) = torch.autograd.grad(anomaly_loss(G, D, x, z, lam).sum(), z)
        z = (z - lr * grad).detach().requires_grad_(True)
    return z.detach()


def _sgd_search(fn, cases) -> str:
    for seed, n, lr, iterations, lam in cases:
        _, G, D = _tiny(seed)
        g = torch.Generator().manual_seed(seed)
        x, z0 = torch.rand(n, 1, 64, 64, generator=g) * 2 - 1, torch.randn(n, 4, generator=g)
        ref = _sgd_reference(G, D, x, z0, lr, iterations, lam)
        G.train().requires_grad_(True)                                 # as after training: the search must freeze them
        D.train().requires_grad_(True)
        before = z0.clone()
        got = tensor_of(call(fn, G, D, x, z0, lr, iterations, lam), (n, 4), "sgd_search")
        expect(torch.equal(z0, before), "sgd_search changed z0 in place; start from a copy (z0.clone())",
               "sgd_search が z0 をその場で書き換えました。コピー（z0.clone()）から始めましょう")
        expect(not G.training and not D.training, "put G and D in eval mode (BatchNorm must not use the batch)",
               "G と D を eval モードにしましょう（BatchNorm がバッチの統計を使わないように）")
        expect(all(p.grad is None or not p.grad.any() for p in [*G.parameters(), *D.parameters()]),
               "G's or D's weights received gradients: freeze them (requires_grad_(False)), only z is optimised",
               "G か D の重みに勾配が付きました: requires_grad_(False) で固定しましょう。最適化するのは z だけです")
        close(got, ref, "the z found by sgd_search", rtol=1e-3, atol=1e-5)
    return say("plain gradient descent with one step size for every z; compare how fast A(x) falls with Adam's.",
               "すべての z に同じ歩幅を使う単純な勾配降下です。A(x) の下がり方を Adam と比べましょう。")


def check_sgd_search(fn) -> bool | None:
    """Exercise 4 (public): a tiny G and D, a few steps."""
    return run(_sgd_search, fn, [(0, 2, 0.01, 3, 0.1)])
