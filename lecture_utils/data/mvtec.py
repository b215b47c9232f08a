"""MVTec-layout image folders: the one way both lectures read images.

Layout (MVTec AD's, which our synthetic capsule and digit folders also use)::

    root/train/good/*.png
    root/test/good/*.png
    root/test/<defect>/*.png
    root/ground_truth/<defect>/<stem>_mask.png   (test defects only; white = defect)

Files are listed and sorted by name and filtered by extension; hidden files and folders
(``.DS_Store``, ``.ipynb_checkpoints``) and ``Thumbs.db`` are ignored.  Grayscale, RGBA, palette
and 16-bit images are converted to the requested channels (``image_channels`` decides them from
the whole split).  Only ``train/good`` is training data.  Every problem (missing root or
split, no images, a defect image without its mask, a mask of another size, an unreadable file)
raises a `DatasetError` naming the path.  `summarize` counts a folder for ``data info``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ..errors import LectureError

IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"}
IGNORED_NAMES = {"thumbs.db", "desktop.ini", "__macosx"}
SPLITS = ("train", "test")


class DatasetError(LectureError, ValueError):
    """A folder or file that is not a usable data set; the message names the path (a notebook
    shows it as one line)."""


def _visible(path: Path) -> bool:
    return not path.name.startswith(".") and path.name.lower() not in IGNORED_NAMES


def list_images(folder: Path) -> list[Path]:
    """Image files directly in ``folder``, sorted by name; hidden and non-image files skipped."""
    return sorted(p for p in Path(folder).iterdir()
                  if p.is_file() and _visible(p) and p.suffix.lower() in IMAGE_EXTENSIONS)


def list_subfolders(folder: Path) -> list[Path]:
    """Visible sub-folders of ``folder``, sorted by name."""
    return sorted(p for p in Path(folder).iterdir() if p.is_dir() and _visible(p))


@dataclass(frozen=True)
class Item:
    """One image on disk: its path, defect type ('good' for normal) and mask path (None if good)."""
    path: Path
    defect: str
    mask: Path | None


def index_split(root, split: str, train_types=("good",)) -> list[Item]:
    """All items of ``root/split``, ``good`` first, then defect types in name order.  Of ``train``
    only the sub-folders ``train_types`` are read (MVTec's: ``good``; None: all of them)."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetError("data_not_found", root=root)
    if split not in SPLITS:
        raise DatasetError("bad_split", splits=SPLITS, split=split)
    split_dir = root / split
    if not split_dir.is_dir():
        raise DatasetError("no_split_folder", root=root, split=split, folder=split_dir)
    types = list_subfolders(split_dir)
    if split == "train" and train_types is not None:
        types = [t for t in types if t.name in train_types]
    types.sort(key=lambda p: (p.name != "good", p.name))
    items = []
    for folder in types:
        for path in list_images(folder):
            mask = None if folder.name == "good" else _mask_path(root, folder.name, path)
            items.append(Item(path, folder.name, mask))
    if not items:
        where = split_dir / "good" if split == "train" and train_types == ("good",) else split_dir
        raise DatasetError("no_images", where=where, extensions=", ".join(sorted(IMAGE_EXTENSIONS)),
                           example=split_dir / "good")
    return items


def ignored_train_folders(root) -> dict[str, int]:
    """Sub-folders of ``root/train`` other than ``good`` (not training data) and their image counts."""
    train = Path(root) / "train"
    if not train.is_dir():
        return {}
    return {p.name: len(list_images(p)) for p in list_subfolders(train) if p.name != "good"}


def _mask_path(root: Path, defect: str, image: Path) -> Path | None:
    """``ground_truth/<defect>/<stem>_mask.png``; a missing mask is an error only when the
    data set has a ground_truth folder at all (image-level data sets have none)."""
    gt = root / "ground_truth"
    if not gt.is_dir():
        return None
    for ext in (".png", image.suffix):
        candidate = gt / defect / f"{image.stem}_mask{ext}"
        if candidate.is_file():
            return candidate
    raise DatasetError("no_mask", image=image, mask=gt / defect / (image.stem + "_mask.png"))


GRAY_MODES = ("1", "L", "LA", "I", "I;16", "F")
# What reading a broken or hostile file raises; DecompressionBombError: more pixels than PIL allows.
UNREADABLE = (OSError, ValueError, SyntaxError, Image.DecompressionBombError)


def image_modes(root, split: str = "train") -> dict[str, int]:
    """How many images of ``root/split`` have each PIL mode (only the headers are read)."""
    modes: dict = {}
    for item in index_split(root, split):
        try:
            with Image.open(item.path) as img:
                modes[img.mode] = modes.get(img.mode, 0) + 1
        except UNREADABLE as e:
            raise DatasetError("unreadable_image", path=item.path, error=e) from e
    return modes


def channels_of(modes: dict[str, int]) -> int:
    """1 if every image is grayscale (``modes`` as from ``image_modes``), else 3 (grayscale ones are
    then converted to RGB like the others): what a model should be built for, whatever the file order."""
    return 1 if all(mode in GRAY_MODES for mode in modes) else 3


def image_channels(root, split: str = "train") -> int:
    """``channels_of`` the images of ``root/split``."""
    return channels_of(image_modes(root, split))


def _convert(img: Image.Image, mode: str) -> Image.Image:
    """``img`` as 8-bit 'RGB' or 'L'.  16-bit and float images are rescaled to 0..255 first
    (PIL's own conversion would clip them); palette, alpha and CMYK images are plain conversions."""
    if img.mode.startswith("I") or img.mode == "F":
        a = np.asarray(img, dtype=np.float64)
        top = 65535.0 if a.max() > 255 else 255.0
        img = Image.fromarray(np.clip(a / top * 255 + 0.5, 0, 255).astype(np.uint8))
    return img if img.mode == mode else img.convert(mode)


def read_image(path, size: int, channels: int) -> torch.Tensor:
    """Decode, convert (RGB, or grayscale 'L') and resize one image: float ``[C, size, size]`` in [0, 1]."""
    if channels not in (1, 3):
        raise DatasetError("bad_channels", channels=channels)
    try:
        with Image.open(path) as img:
            img = _convert(img, "RGB" if channels == 3 else "L").resize((size, size), Image.BICUBIC)
    except UNREADABLE as e:
        raise DatasetError("unreadable_image", path=path, error=e) from e
    a = np.asarray(img, dtype=np.float32) / 255.0
    return torch.from_numpy(a.reshape(size, size, channels)).permute(2, 0, 1).contiguous()


def read_mask(path, size: int, image_path) -> torch.Tensor:
    """Binary mask ``[1, size, size]`` of the image ``image_path`` (the same size), resized by nearest
    neighbour.  White is defect: any value above half the mask's maximum (0/255 and 0/1 masks work)."""
    check_mask_size(path, image_path)
    try:
        with Image.open(path) as m:
            a = np.asarray(_convert(m, "L").resize((size, size), Image.NEAREST))
    except UNREADABLE as e:
        raise DatasetError("unreadable_mask", path=path, error=e) from e
    binary = a > a.max() / 2 if a.max() > 0 else np.zeros_like(a, bool)
    return torch.from_numpy(binary.astype(np.float32))[None]


def check_mask_size(mask_path, image_path) -> None:
    """A mask must have its image's size (only the headers are read)."""
    try:
        with Image.open(mask_path) as m, Image.open(image_path) as img:
            sizes = m.size, img.size
    except UNREADABLE as e:
        raise DatasetError("unreadable_pair", mask=mask_path, image=image_path, error=e) from e
    if sizes[0] != sizes[1]:
        (mask_width, mask_height), (width, height) = sizes
        raise DatasetError("mask_size", mask=mask_path, mask_width=mask_width, mask_height=mask_height,
                           image=image_path, width=width, height=height)


@dataclass
class ImageSet:
    """A whole split decoded once: ``images`` [N, C, H, W] in [0, 1], ``labels`` [N] (1 = defect),
    ``masks`` [N, 1, H, W] (zeros for good images), ``defects`` and ``paths`` (N each)."""
    images: torch.Tensor
    labels: torch.Tensor
    masks: torch.Tensor
    defects: list[str]
    paths: list[str]
    has_masks: bool

    def __len__(self) -> int:
        return len(self.paths)

    def select(self, keep) -> "ImageSet":
        """The subset at indices or boolean ``keep``."""
        idx = torch.as_tensor(keep)
        idx = idx.nonzero().flatten() if idx.dtype == torch.bool else idx.long()
        pick = idx.tolist()
        return ImageSet(self.images[idx], self.labels[idx], self.masks[idx],
                        [self.defects[i] for i in pick], [self.paths[i] for i in pick], self.has_masks)

    def first_per_type(self, n: int = 1) -> list[int]:
        """Indices of the first ``n`` images of each type (good and every defect), in set order."""
        seen: dict = {}
        keep = []
        for i, d in enumerate(self.defects):
            seen[d] = seen.get(d, 0) + 1
            if seen[d] <= n:
                keep.append(i)
        return keep


def load_split(root, split: str, image_size: int = 128, channels: int = 3) -> ImageSet:
    """Decode every image (and mask) of ``root/split`` once into an ``ImageSet`` (the lectures'
    data sets fit in memory); good images get an all-zero mask."""
    items = index_split(root, split)
    zeros = torch.zeros(1, image_size, image_size)
    masks = [zeros if item.mask is None else read_mask(item.mask, image_size, item.path) for item in items]
    return ImageSet(torch.stack([read_image(item.path, image_size, channels) for item in items]),
                    torch.tensor([int(item.defect != "good") for item in items]), torch.stack(masks),
                    [item.defect for item in items], [str(item.path) for item in items],
                    any(item.mask is not None for item in items))


def summarize(root) -> dict:
    """What ``python -m lecture_tools data info`` prints: images per split and type, masks (each
    checked against its image's size), every distinct size and mode found (``formats``, most
    common first; ``image_size`` and ``mode`` are the most common one), and ``notes``."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetError("data_not_found", root=root)
    present = [s for s in SPLITS if (root / s).is_dir()]
    if not present:
        raise DatasetError("no_splits", root=root)
    info = {"root": str(root), "splits": {}, "images": 0, "masks": 0, "notes": []}
    formats: dict = {}
    for split in present:
        items = index_split(root, split)
        counts: dict = {}
        for item in items:
            counts[item.defect] = counts.get(item.defect, 0) + 1
            if item.mask is not None:
                check_mask_size(item.mask, item.path)
                info["masks"] += 1
            try:
                with Image.open(item.path) as img:
                    key = (img.size, img.mode)
            except UNREADABLE as e:
                raise DatasetError("unreadable_image", path=item.path, error=e) from e
            formats[key] = formats.get(key, 0) + 1
        info["splits"][split] = counts
        info["images"] += len(items)
    ranked = sorted(formats.items(), key=lambda kv: (-kv[1], kv[0][1], kv[0][0]))
    info["formats"] = [{"size": list(size), "mode": mode, "images": n} for (size, mode), n in ranked]
    info["image_size"], info["mode"] = list(ranked[0][0][0]), ranked[0][0][1]
    gray = sum(n for (_, mode), n in formats.items() if mode in GRAY_MODES)
    if 0 < gray < info["images"]:
        info["notes"].append(f"{gray} of {info['images']} images are grayscale: a colour model "
                             "reads them as RGB (R = G = B)")
    for name, n in ignored_train_folders(root).items():
        info["notes"].append(f"train/{name} ({n} images) is not training data: only train/good is")
    return info
