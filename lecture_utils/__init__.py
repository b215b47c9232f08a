"""lecture_utils: the small package behind the anomaly-detection lectures.

Modules: ``config`` (device, seeds, the reduced-settings switch), ``data`` (MVTec-layout folders,
downloads, the synthetic capsule, digits), ``models``, training loops, ``projection`` (Dehaene et
al. 2020), ``anogan`` (Schlegl et al. 2017), ``metrics``, ``plots`` and ``widgets``.
"""
__version__ = "0.1.0"
