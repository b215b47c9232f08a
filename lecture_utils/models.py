"""Both lectures' networks under one old name, kept for code written against earlier versions:
``lecture_utils.models.VAE`` is ``lecture_utils.vae.model.VAE``; ``Generator``, ``Discriminator`` and
``Encoder`` are ``lecture_utils.anogan.dcgan``'s.  New code imports from those modules."""
from .anogan.dcgan import Discriminator, Encoder, Generator  # noqa: F401
from .vae.model import VAE  # noqa: F401
