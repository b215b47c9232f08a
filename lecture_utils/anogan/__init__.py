"""Lecture 2: AnoGAN (Schlegl et al., IPMI 2017) and its encoder variant f-AnoGAN (2019).

``dcgan`` (G, D and E), ``train`` (GAN and encoder), ``score`` (A(x) and izi_f), ``search`` (the
latent search), ``plots``, ``homework``, ``published`` (the lecturer's weights, downloaded)."""
