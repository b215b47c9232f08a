"""Checks for the data notebook's exercises (00).  ``check_*`` print a hint (public checks, run by
the student); the grading checks are lecturer code in the bundle (``notebooks/grading/00_datasets.json``).
A public check holds no reference solution: it tests properties and values worked out by hand.

1. ``defect_fraction(masks)``: the share of defective pixels of each image.
2. The defect type whose masks cover the largest share of the image on average, and that share.
"""
from __future__ import annotations

import torch

from ..checks import NotAnswered, Plausible, call, close, expect, number_of, run, tensor_of
from ..messages import say


FRACTION_SLIPS = {   # what a typical slip returns: the hint naming it; the grader's checks use them too
    "count": {"en": "it returned the number of defective pixels, not their share: divide by the pixels of the image",
              "ja": "欠陥の画素の割合ではなく数を返しています: 画像の画素数で割りましょう"},
    "good": {"en": "it returned the share of good pixels (0), not of defective ones (1)",
             "ja": "欠陥（1）ではなく正常（0）の画素の割合を返しています"},
    "percent": {"en": "it returned a percentage: return the share, a number in [0, 1]",
                "ja": "パーセントを返しています: [0, 1] の割合を返しましょう"},
}


def fraction_slips(share: torch.Tensor, pixels: int) -> list:
    """(what each slip of ``FRACTION_SLIPS`` gives for images whose right ``share`` is known, its hint)."""
    wrong = {"count": share * pixels, "good": 1 - share, "percent": 100 * share}
    return [(wrong[k], hint) for k, hint in FRACTION_SLIPS.items()]


def _defect_fraction(fn, cases) -> str:
    for masks, expected in cases:
        got = tensor_of(call(fn, masks.clone()), (len(masks),), "defect_fraction")
        close(got, expected, "defect_fraction", mistakes=fraction_slips(expected, masks[0].numel()))
    return say({"en": "one number per image, the share of its pixels marked defective.",
                "ja": "画像ごとに1つの値、欠陥とされた画素の割合です。"})


def check_defect_fraction(fn) -> bool | None:
    """Exercise 1 (public): small masks whose shares are known (0, 1/4, 1, 3/9)."""
    handmade = torch.zeros(2, 1, 4, 4)
    handmade[1, 0, :2, :2] = 1                                        # 4 of 16 pixels: 0.25
    third = torch.zeros(1, 1, 3, 3)
    third[0, 0, 1] = 1                                                # 3 of 9 pixels
    return run(_defect_fraction, fn, [(handmade, torch.tensor([0.0, 0.25])), (torch.ones(3, 1, 5, 2), torch.ones(3)),
                                      (third, torch.tensor([1 / 3]))])


def _largest_defect(answer, share, test) -> str:
    if answer is None:
        raise NotAnswered
    kinds = sorted(set(test.defects) - {"good"})
    expect(answer in kinds, {"en": "{answer!r} is not a defect type of this test set; choose from {kinds}",
                             "ja": "{answer!r} はこのテストセットの欠陥の種類ではありません。{kinds} から選んでください"},
           answer=answer, kinds=kinds)
    value = number_of(share, "largest_share")
    expect(0 < value <= 1, {"en": "largest_share is a mean share of the image's pixels, a number in (0, 1], not {value:.3g}",
                            "ja": "largest_share は画像の画素の割合の平均なので (0, 1] の数です（{value:.3g} ではありません）"},
           value=value)
    return Plausible(say({"en": "{answer} is a defect type of the test set and {value:.2%} a possible share.",
                          "ja": "{answer} はテストセットの欠陥の種類で、{value:.2%} はありうる割合です。"},
                         answer=answer, value=value))


def check_largest_defect(answer, share, test) -> bool | None:
    """Exercise 2 (public): one of the defect types of ``test`` and a share in (0, 1] (the grader
    compares both with the shares of every type)."""
    return run(_largest_defect, answer, share, test)
