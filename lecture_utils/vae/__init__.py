"""Lecture 1: a VAE and iterative energy-based projection (Dehaene et al., ICLR 2020).

``model`` (the VAE and its loss), ``train``, ``projection`` (energies and the update),
``localization`` (anomaly maps), ``evaluate`` (the whole test set), ``plots``, ``homework``."""
