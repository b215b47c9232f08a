"""Anomaly maps and scores against trusted references (scikit-image, scikit-learn)."""
import pytest
import torch
from skimage.metrics import structural_similarity
from sklearn.metrics import roc_auc_score

from lecture_utils.vae.localization import anomaly_map, dssim_map, image_scores, residual_map, smooth
from lecture_utils.metrics import pixel_auroc


def pair():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(2, 3, 32, 32, generator=g)
    y = x.clone()
    y[:, :, 8:16, 8:16] = 1 - y[:, :, 8:16, 8:16]  # a defect
    return x, y


def test_dssim_is_zero_for_identical_images_and_high_on_the_defect():
    x, y = pair()
    assert torch.allclose(dssim_map(x, x), torch.zeros(2, 32, 32), atol=1e-6)
    m = dssim_map(x, y, win_size=7)
    assert m.shape == (2, 32, 32) and (m >= 0).all() and (m <= 1).all()
    assert m[:, 10:14, 10:14].mean() > 5 * m[:, 24:, 24:].mean()


def test_dssim_mean_matches_scikit_image():
    x, y = pair()
    ref = structural_similarity(x[0].permute(1, 2, 0).double().numpy(), y[0].permute(1, 2, 0).double().numpy(),
                                win_size=7, channel_axis=-1, data_range=1.0)
    pad = 3  # scikit-image's mean leaves out the border of half a window
    inner = dssim_map(x, y, win_size=7)[0, pad:-pad, pad:-pad].mean()
    assert inner.item() == pytest.approx((1 - ref) / 2, abs=1e-5)


def test_residual_map_is_mean_absolute_difference():
    x, y = pair()
    assert torch.allclose(residual_map(x, y), (x - y).abs().mean(1))


def test_smooth_keeps_constants_and_mass():
    c = torch.full((1, 20, 20), 0.3)
    assert torch.allclose(smooth(c, 2.0), c)
    spike = torch.zeros(1, 41, 41); spike[0, 20, 20] = 1
    s = smooth(spike, 2.0)
    assert s.sum().item() == pytest.approx(1.0, abs=1e-5) and s[0, 20, 20] == s.max()
    assert torch.equal(smooth(spike, 0), spike)


def test_image_scores():
    m = torch.zeros(2, 10, 10); m[1, 3, 3] = 5
    assert image_scores(m, "max").tolist() == [0, 5]
    assert image_scores(m, "mean")[1].item() == pytest.approx(0.05)
    assert image_scores(m, "mean_top1pct")[1].item() == pytest.approx(5.0)   # 1 % of 100 pixels: the maximum
    wide = torch.zeros(1, 20, 20); wide[0, 0, :5] = torch.tensor([8.0, 4, 4, 4, 3])
    assert image_scores(wide, "mean_top1pct").item() == pytest.approx(5.0)   # the 4 highest of 400 pixels
    for how in ("median", "top1"):
        with pytest.raises(ValueError, match="how"):
            image_scores(m, how)


def test_anomaly_map_kinds():
    x, y = pair()
    assert anomaly_map(x, y, "residual", sigma=0).shape == (2, 32, 32)
    with pytest.raises(ValueError, match="kind"):
        anomaly_map(x, y, "l2")


def test_pixel_auroc_matches_scikit_learn():
    g = torch.Generator().manual_seed(1)
    masks = (torch.rand(3, 1, 8, 8, generator=g) > 0.8).float()
    maps = torch.rand(3, 8, 8, generator=g) + masks[:, 0]
    ref = roc_auc_score(masks.flatten().numpy(), maps.flatten().numpy())
    assert pixel_auroc(masks, maps) == pytest.approx(ref)
    assert pixel_auroc(torch.zeros(3, 1, 8, 8), maps) is None
    with pytest.raises(ValueError, match="differ in shape"):
        pixel_auroc(masks, maps[:, :4])


def test_normalize_damps_pixels_that_vary_on_good_images():
    from lecture_utils.vae.localization import fit_normalizer, normalize
    g = torch.Generator().manual_seed(0)
    good = torch.rand(20, 8, 8, generator=g) * 0.01
    good[:, 0, 0] += torch.rand(20, generator=g)  # an edge that good images never reconstruct
    test = torch.zeros(1, 8, 8)
    test[0, 0, 0], test[0, 4, 4] = 1.0, 1.0
    z = normalize(test, fit_normalizer(good))
    assert z[0, 4, 4] > 5 * z[0, 0, 0]
