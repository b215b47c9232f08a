"""lecture_utils: the small package behind the anomaly-detection lectures.

Data: ``config`` (device, seeds, cache folder, the ``LECTURE_UTILS_REDUCED`` switch), ``data``
(MVTec-layout folders), ``download`` (checked, cached downloads), ``synthetic`` (the offline
capsule), ``digits`` (MNIST or bundled digits), ``sources`` (which data the notebooks use).
Lecture 1 (Dehaene et al., ICLR 2020): ``models.VAE``, ``vae_training``, ``projection``,
``localization``, ``vae_eval``, ``plots``, ``homework``.
Lecture 2 (Schlegl et al., IPMI 2017): ``dcgan`` (re-exported by ``models``), ``gan_training``,
``anogan``, ``anogan_plots``, ``homework_anogan``.
Shared: ``checkpoint``, ``metrics``, ``widgets``, and the CLI ``python -m lecture_utils``.
"""
__version__ = "0.1.0"
