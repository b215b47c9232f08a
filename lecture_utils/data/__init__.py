"""Data for both lectures: MVTec-layout folders (``mvtec``), checked downloads (``download``), the
offline synthetic capsule (``synthetic``), MNIST or the bundled digits (``digits``), which of them a
notebook uses (``sources``), notebook 00's figures (``plots``) and its exercise checks (``homework``)."""
