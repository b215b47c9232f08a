"""AnoGAN latent search: the loss falls, batching changes nothing, restarts keep the best."""
from dataclasses import replace

import torch

from lecture_utils.anogan import dcgan, plots, score, search


def models():
    G, D = dcgan.build(width=8, seed=0)
    return G, D


def test_search_loss_falls_and_models_stay_frozen():
    G, D = models()
    x = G.eval()(torch.randn(4, 20)).detach()
    G.train()
    r = search.latent_search(G, D, x, search.SearchConfig(iterations=15, lr=0.1), progress=False)
    assert r.history.shape == (16, 4)
    assert torch.all(r.history[-1] < r.history[0])
    assert not G.training and not any(p.requires_grad for p in G.parameters())
    assert r.reconstructions.shape == r.residual_maps.shape == x.shape
    torch.testing.assert_close(r.scores, 0.9 * r.residual + 0.1 * r.discrimination)


def test_auroc_by_lambda_reweights_the_two_terms():
    from sklearn.metrics import roc_auc_score
    labels = torch.tensor([0, 0, 0, 1, 1, 1])
    residual = torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])          # separates perfectly
    discrimination = torch.tensor([60.0, 50.0, 40.0, 10.0, 20.0, 5.0])  # ranks every anomaly below every normal
    lams = [0.0, 0.05, 0.3, 1.0]
    got = score.auroc_by_lambda(labels, residual, discrimination, lams)
    assert got[0] == 1.0 and got[-1] == 0.0
    for lam, value in zip(lams, got):
        assert value == roc_auc_score(labels.numpy(), ((1 - lam) * residual + lam * discrimination).numpy())
    assert got[1] != got[2], "the weighting must change the ranking here"


def test_auroc_by_lambda_plot_is_labelled():
    fig = plots.plot_auroc_by_lambda([0.0, 0.1, 1.0], [0.9, 0.8, 0.5], 0.1)
    ax = fig.axes[0]
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel() == "AUROC"
    assert [tuple(line.get_xdata()) for line in ax.lines][1] == (0.1, 0.1)   # the search's lambda, marked


def test_batched_and_per_image_searches_agree():
    G, D = models()
    x = torch.rand(5, 1, 64, 64) * 2 - 1
    z0 = search.initial_z(5, 20, seed=3)
    cfg = search.SearchConfig(iterations=10, lr=0.05)
    batched = search.latent_search(G, D, x, cfg, z0=z0, progress=False)
    single = [search.latent_search(G, D, x[i:i + 1], cfg, z0=z0[i:i + 1], progress=False) for i in range(5)]
    torch.testing.assert_close(batched.z, torch.cat([s.z for s in single]), rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(batched.scores, torch.cat([s.scores for s in single]), rtol=1e-4, atol=1e-3)


def test_chunking_does_not_change_results():
    G, D = models()
    x = torch.rand(6, 1, 64, 64) * 2 - 1
    a = search.latent_search(G, D, x, search.SearchConfig(iterations=5, batch_size=256), progress=False)
    b = search.latent_search(G, D, x, search.SearchConfig(iterations=5, batch_size=4), progress=False)
    torch.testing.assert_close(a.scores, b.scores, rtol=1e-4, atol=1e-3)


def test_restarts_keep_the_best_of_the_same_starting_points():
    G, D = models()
    n, restarts = 3, 3
    x = torch.rand(n, 1, 64, 64) * 2 - 1
    cfg = search.SearchConfig(iterations=5, restarts=restarts, seed=7)
    best = search.latent_search(G, D, x, cfg, progress=False)
    assert best.history.shape == (6, n)
    starts = search.initial_z(n * restarts, 20, seed=7).view(restarts, n, 20)   # start r of image i: [r, i]
    single = torch.stack([search.latent_search(G, D, x, replace(cfg, restarts=1), z0=z0, progress=False).scores
                          for z0 in starts])                                     # [R, N]
    assert torch.all(best.scores <= single + 1e-3)                 # never worse than any one start
    torch.testing.assert_close(best.scores, single.min(0).values, rtol=1e-4, atol=1e-3)  # it is the best one


def test_anomaly_score_matches_its_formula():
    G, D = models()
    G.eval()
    x, z = torch.rand(2, 1, 64, 64) * 2 - 1, torch.randn(2, 20)
    with torch.no_grad():
        a = score.anomaly_score(G, D, x, z, lam=0.25)
        x_hat = G(z)
        f_x, f_hat = D(x)[1], D(x_hat)[1]
    residual, discrimination = (x - x_hat).abs().sum((1, 2, 3)), (f_x - f_hat).abs().sum(1)
    torch.testing.assert_close(a.score, 0.75 * residual + 0.25 * discrimination)
    torch.testing.assert_close(a.residual, residual)
    torch.testing.assert_close(a.discrimination, discrimination)
    torch.testing.assert_close(a.x_hat, x_hat)
    with torch.no_grad():  # λ = 0: the residual alone, λ = 1: the discrimination alone
        torch.testing.assert_close(score.anomaly_score(G, D, x, z, lam=0.0).score, residual)
        torch.testing.assert_close(score.anomaly_score(G, D, x, z, lam=1.0).score, discrimination)


def test_encoder_scores_one_pass_and_seeds_the_search():
    G, D = models()
    E = dcgan.Encoder(20, 8)
    x = torch.rand(4, 1, 64, 64) * 2 - 1
    fast = score.encoder_scores(E, G, D, x, kappa=0.5)
    assert fast.scores.shape == (4,) and fast.z.shape == (4, 20) and fast.seconds > 0
    assert not hasattr(fast, "residual") and not hasattr(fast, "history")
    with torch.no_grad():  # f-AnoGAN's score: the izi_f loss of each image, A_R + kappa * A_D
        z = E.eval()(x)
        x_hat = G(z)
        a_r = ((x - x_hat) ** 2).mean((1, 2, 3))
        a_d = ((D(x)[1] - D(x_hat)[1]) ** 2).mean(1)
        batch_loss = score.izi_f(E, G, D, x, kappa=0.5)
    torch.testing.assert_close(fast.scores, a_r + 0.5 * a_d)
    torch.testing.assert_close(fast.a_r, a_r)
    torch.testing.assert_close(fast.a_d, a_d)
    torch.testing.assert_close(fast.z, z)
    torch.testing.assert_close(fast.residual_maps, (x - x_hat).abs())
    torch.testing.assert_close(batch_loss, fast.scores.mean())  # what training minimised
    start = score.score_latents(G, D, x, fast.z)
    assert not hasattr(start, "history") and not hasattr(start, "seconds")  # no search, no search record
    refined = search.latent_search(G, D, x, search.SearchConfig(iterations=10, lr=0.05), z0=fast.z, progress=False)
    assert torch.all(refined.scores <= start.scores + 1e-3)
    assert refined.history.shape == (11, 4) and refined.seconds > 0


def test_explorer_draws_a_static_figure_without_widgets(monkeypatch):
    import sys
    import matplotlib
    matplotlib.use("Agg")
    G, D = models()
    x = torch.rand(2, 1, 64, 64) * 2 - 1
    path = search.search_trajectory(G, D, x, search.SearchConfig(iterations=4, lr=0.05), every=2)
    assert len(path) == 3 and path[-1].shape == (2, 20)
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # import fails -> a note, no error
    assert plots.search_explorer(G, D, x, path) is None
