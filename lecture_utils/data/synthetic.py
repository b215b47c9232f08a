"""An offline stand-in for MVTec AD's capsule: procedurally rendered pills with five defect types.

Every image is a function of a random *pose* (position, tilt, size, lighting, how far the pill is
turned about its axis) drawn from a seeded generator, so a seed gives the same folder on every
machine.  The capsule is drawn in its own
frame (u along the axis, v across it, in pixels of a 256x256 image): a black cap on the left, a
red-brown body on the right with "500" printed on it, a soft shadow on a light grey background.
A defect is a change of that drawing (a painted fragment, a hole, scratches, a missing part of the
print, a dent in the outline).  Its mask is computed, not drawn: the pixels where the defective
image differs from the same pose rendered without the defect, so it is pixel-exact by
construction (holes filled; a squeeze's mask also covers the part of the capsule it moved).
Edges are antialiased analytically from their signed distance and drawn bitmaps are low-pass
filtered before sampling; numpy, PIL and scipy only.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage

from .. import config
from ..messages import say
from ..outputs import write_folder
from ..progress import bar as progress_bar

DEFECTS = ("crack", "faulty_imprint", "poke", "scratch", "squeeze")
REF = 256            # geometry below is in pixels of a 256x256 image
# capsule geometry (reference pixels), measured on MVTec's capsule resized to 256x256
BODY_R, CAP_R = 33.5, 35.0             # radii of the body (right) and the cap (left)
LEFT, RIGHT, SEAM = -73.0, 74.0, 1.5   # centres of the two round ends, and the cap's edge
TEXT_U, TEXT_V, TEXT_H = 41.5, 4.0, 18.0
LOGO_U, LOGO_H, LOGO_W = -36.0, 13.0, 52.0   # the logo on the cap (drawn at v = 0, moved by the pose)
LOGO = np.array([120.0, 124.0, 128.0], np.float32)
# colours (0..255), sampled from the real images
BACKGROUND = np.array([222.0, 222.0, 225.0], np.float32)
CAP = np.array([20.0, 20.0, 23.0], np.float32)
BODY_TOP, BODY_BOTTOM = np.array([152.0, 80.0, 64.0], np.float32), np.array([106.0, 57.0, 44.0], np.float32)
INK = np.array([222.0, 188.0, 180.0], np.float32)
# canonical bitmaps (text, painted defects) cover u in [-112, 112], v in [-40, 40] at 4 px per unit
BM_U, BM_V, BM_SCALE = 112.0, 40.0, 4.0


@dataclass(frozen=True)
class CapsuleSpec:
    """What `write_synthetic_capsule` writes: counts per split (test: per defect type), size, seed."""
    n_train: int = 200
    n_test_good: int = 20
    n_test_defect: int = 10
    size: int = 256
    seed: int = 0


def default_spec(seed: int = 0) -> CapsuleSpec:
    """The lecture's numbers, or fewer images under ``LECTURE_UTILS_REDUCED``."""
    return CapsuleSpec(n_train=config.pick(200, 60), n_test_good=config.pick(20, 10),
                       n_test_defect=config.pick(10, 4), seed=seed)


@dataclass(frozen=True)
class Pose:
    """Where the capsule lies and how it is lit (small jitter, as in the real photos)."""
    du: float = 0.0        # shift right (reference pixels)
    dv: float = 0.0        # shift down
    angle: float = 0.0     # tilt, degrees
    scale: float = 1.0
    light: float = 1.0     # brightness factor
    background: float = 0.0  # background offset (grey levels)
    roll: float = 0.0        # the body turned about its axis: the print moves up or down
    logo: float = 22.0       # where the cap's logo is (the cap turns independently; > 32: hidden)


def random_pose(rng: np.random.Generator) -> Pose:
    return Pose(du=rng.uniform(-1.5, 1.5), dv=rng.uniform(-1, 1), angle=rng.uniform(-0.6, 0.6),
                scale=rng.uniform(0.994, 1.006), light=rng.uniform(0.95, 1.04),
                background=rng.uniform(-8, 5), roll=rng.uniform(-14, 5), logo=rng.uniform(10, 65))


@dataclass
class Defect:
    """A change of the drawing: painted layers ``(alpha bitmap, rgb)``, an erased part of the print,
    and a dent ``(u0, width, depth, side)`` that pulls the outline inwards."""
    kind: str
    layers: list = field(default_factory=list)
    erase_ink: np.ndarray | None = None
    extra_ink: np.ndarray | None = None
    dent: tuple | None = None


# --- geometry
def _frame(pose: Pose, size: int):
    """Capsule coordinates (u, v) of every pixel centre, and one pixel's length."""
    unit = size / REF * pose.scale                     # image pixels per reference pixel
    xy = np.arange(size, dtype=np.float32) + 0.5 - size / 2
    x, y = np.meshgrid(xy, xy)                          # [size, size] each
    x, y = x / unit - pose.du, y / unit - pose.dv
    a = np.deg2rad(pose.angle)
    u = x * np.cos(a) + y * np.sin(a)
    v = -x * np.sin(a) + y * np.cos(a) + 0.5
    return u, v, 1.0 / unit


def _stadium(u, v, left, right, r):
    """Signed distance to a pill whose round ends are centred at u=left and u=right (<0 inside)."""
    du = np.maximum(np.maximum(left - u, u - right), 0)
    return np.hypot(du, v) - r


def _coverage(d, pixel):
    """Fraction of a pixel inside the shape, from its signed distance (a one-pixel ramp)."""
    return np.clip(0.5 - d / pixel, 0.0, 1.0)


def _sample(bitmap: np.ndarray, u, v):
    """Bilinear look-up of a canonical bitmap (values 0..1) at capsule coordinates."""
    rows, cols = (v + BM_V) * BM_SCALE, (u + BM_U) * BM_SCALE
    return ndimage.map_coordinates(bitmap, [rows, cols], order=1, mode="constant", cval=0.0)


def _canvas():
    w, h = int(2 * BM_U * BM_SCALE), int(2 * BM_V * BM_SCALE)
    return Image.new("L", (w, h), 0)


def _to_px(u, v):
    return ((u + BM_U) * BM_SCALE, (v + BM_V) * BM_SCALE)


@lru_cache(maxsize=1)
def ink_bitmap() -> np.ndarray:
    """The printed "500" in the capsule frame (0..1), bold, with wide letter spacing."""
    img = _canvas()
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=int(TEXT_H * BM_SCALE * 72 / 52))
    step = 21.0 * BM_SCALE
    x0, y0 = _to_px(TEXT_U, TEXT_V)
    for i, ch in enumerate("500"):
        left, top, right, bottom = draw.textbbox((0, 0), ch, font=font)
        x = x0 + (i - 1) * step - (left + right) / 2
        y = y0 - (top + bottom) / 2
        draw.text((x, y), ch, font=font, fill=255, stroke_width=int(1.0 * BM_SCALE), stroke_fill=255)
    return ndimage.gaussian_filter(np.asarray(img, dtype=np.float32) / 255.0, BM_SCALE * 0.4)


@lru_cache(maxsize=1)
def logo_bitmap() -> np.ndarray:
    """The maker's logo printed on the cap, seen on some pills only (the cap is turned)."""
    img = _canvas()
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=int(LOGO_H * BM_SCALE * 72 / 52))
    x, y = _to_px(LOGO_U, 0.0)
    draw.text((x, y), "actavis", font=font, fill=255, anchor="mm", stroke_width=1, stroke_fill=255)
    draw.arc([x - 0.5 * LOGO_W * BM_SCALE - 9 * BM_SCALE, y - 4 * BM_SCALE,
              x - 0.5 * LOGO_W * BM_SCALE - 1 * BM_SCALE, y + 4 * BM_SCALE], 150, 330, fill=255,
             width=int(1.2 * BM_SCALE))
    return ndimage.gaussian_filter(np.asarray(img, dtype=np.float32) / 255.0, BM_SCALE * 0.35)


# --- rendering
def render(pose: Pose, size: int = 256, defect: Defect | None = None) -> np.ndarray:
    """The image of one capsule, float ``[size, size, 3]`` in 0..255 (before noise)."""
    u, v, pixel = _frame(pose, size)
    d_body0 = _stadium(u, v, LEFT, RIGHT, BODY_R)
    d_cap0 = np.maximum(_stadium(u, v, LEFT, SEAM, CAP_R), u - SEAM)
    vd = _dented(u, v, defect.dent) if defect is not None and defect.dent else v
    d_body = _stadium(u, vd, LEFT, RIGHT, BODY_R)
    d_cap = np.maximum(_stadium(u, vd, LEFT, SEAM, CAP_R), u - SEAM)

    img = _background(u, d_body0, d_cap0, pose)
    body = _body_colour(u, vd, pose.roll, defect)
    cap = _cap_colour(u, vd, pose.logo)
    a_body = _coverage(d_body, pixel)[..., None]
    a_cap = _coverage(d_cap, pixel)[..., None]
    img = img * (1 - a_body) + body * a_body
    img = img * (1 - a_cap) + cap * a_cap
    if defect is not None:
        inside = np.maximum(a_body, a_cap)
        for bitmap, rgb in defect.layers:
            a = _sample(bitmap, u, vd)[..., None] * inside
            img = img * (1 - a) + np.asarray(rgb, np.float32) * a
    return img * pose.light                            # [size, size, 3]


def _background(u, d_body, d_cap, pose: Pose):
    """Light grey with the soft shadow the real capsule casts: darker by the cap, reddish by the body."""
    w = (0.5 * (1 + np.tanh((u - SEAM) / 15)))[..., None]            # 0 by the cap, 1 by the body
    out = np.maximum(np.minimum(d_body, d_cap), 0)[..., None]
    tint = np.array([1.0, 1.0, 0.95]) * (1 - w) + np.array([0.6, 1.0, 0.9]) * w
    shade = (50 * (1 - w) + 34 * w) * np.exp(-out / 18) * tint
    return (BACKGROUND + pose.background - shade).astype(np.float32)


def _body_colour(u, v, roll, defect):
    """Red-brown, lighter on top, with a specular band and the printed "500"."""
    t = np.clip(v / BODY_R, -1, 1)[..., None]
    w = 0.5 * (1 + np.tanh(2.2 * t))                     # top -> bottom
    col = BODY_TOP * (1 - w) + BODY_BOTTOM * w
    col = col + 22 * np.exp(-((t + 0.6) / 0.1) ** 2) - 25 * np.clip(np.abs(t) - 0.8, 0, 1) * 5
    v_ink = v - roll                                       # the print's own frame
    ink = _sample(ink_bitmap(), u, v_ink)
    if defect is not None and defect.erase_ink is not None:
        ink = ink * (1 - _sample(defect.erase_ink, u, v_ink))
    if defect is not None and defect.extra_ink is not None:
        ink = np.maximum(ink, _sample(defect.extra_ink, u, v_ink))
    a = 0.75 * ink[..., None]
    return (col * (1 - a) + INK * a).astype(np.float32)


def _cap_colour(u, v, logo):
    """Near-black cap with two faint reflections along its length, and the grey logo."""
    t = np.clip(v / CAP_R, -1, 1)[..., None]
    glare = 30 * np.exp(-((t + 0.55) / 0.07) ** 2) + 10 * np.exp(-((t - 0.2) / 0.05) ** 2)
    a = 0.7 * _sample(logo_bitmap(), u, v - logo)[..., None]
    return ((CAP + glare) * (1 - a) + LOGO * a).astype(np.float32)


def _dented(u, v, dent):
    """Squeeze: near u0 the outline on one side moves inwards by up to ``depth``; only a band
    along that edge is deformed (a bump with compact support, so nothing else changes)."""
    u0, width, depth, side = dent
    bump = np.clip(1 - ((u - u0) / width) ** 2, 0, 1) ** 2
    band = np.clip((side * v - (BODY_R - 14)) / 14, 0, 1)
    return v + side * depth * bump * band * band * (3 - 2 * band)   # maps the dented capsule back


# --- defects
def _jagged(rng, cu, cv, radius, n=None, spread=0.45):
    """An irregular polygon around (cu, cv) in bitmap pixels."""
    n = n or int(rng.integers(7, 13))
    ang = np.sort(rng.uniform(0, 2 * np.pi, n))
    rad = radius * rng.uniform(1 - spread, 1 + spread, n)
    rx, ry = rad * np.cos(ang), rad * np.sin(ang) * rng.uniform(0.6, 1.0)
    return [_to_px(cu + a, cv + b) for a, b in zip(rx, ry)]


def _on_capsule(rng, margin=8.0):
    """A random point on the visible capsule, away from its outline."""
    u = rng.uniform(LEFT - 10, RIGHT + 10)
    v = rng.uniform(-BODY_R + margin, BODY_R - margin)
    return u, v


def make_defect(kind: str, rng: np.random.Generator) -> Defect:
    """A random defect of ``kind`` (one of `DEFECTS`), drawn in the capsule frame."""
    if kind not in DEFECTS:
        raise ValueError(f"unknown defect {kind!r}; choose from {DEFECTS}")
    return {"crack": _crack, "faulty_imprint": _faulty_imprint, "poke": _poke,
            "scratch": _scratch, "squeeze": _squeeze}[kind](rng)


def _crack(rng):
    """A broken-off fragment showing the pale inside, with a dark crack running from it."""
    cu, cv = _on_capsule(rng, margin=12)
    frag, line = _canvas(), _canvas()
    ImageDraw.Draw(frag).polygon(_jagged(rng, cu, cv, rng.uniform(6, 13)), fill=255)
    pts, direction = [(cu, cv)], rng.choice([-1.0, 1.0])
    for _ in range(int(rng.integers(3, 6))):
        u, v = pts[-1]
        pts.append((u + rng.uniform(5, 12) * direction, np.clip(v + rng.uniform(-4, 4), -25, 25)))
    ImageDraw.Draw(line).line([_to_px(u, v) for u, v in pts], fill=255, width=int(1.6 * BM_SCALE))
    pale = rng.uniform(185, 215)
    return Defect("crack", layers=[(_bits(line), (125, 62, 48)), (_bits(frag), (pale, pale - 12, pale - 30))])


def _poke(rng):
    """A small puncture: a dark hole with a lighter, torn rim."""
    cu, cv = _on_capsule(rng, margin=10)
    r = rng.uniform(3.0, 5.5)
    rim, hole = _canvas(), _canvas()
    ImageDraw.Draw(rim).polygon(_jagged(rng, cu, cv, r * 1.6, spread=0.35), fill=255)
    ImageDraw.Draw(hole).polygon(_jagged(rng, cu, cv, r, spread=0.3), fill=255)
    light = rng.uniform(120, 170)
    return Defect("poke", layers=[(_bits(rim) * 0.8, (light, light * 0.8, light * 0.75)),
                                  (_bits(hole), (45, 30, 28))])


def _scratch(rng):
    """One to three thin, light scratches on the body."""
    img = _canvas()
    draw = ImageDraw.Draw(img)
    for _ in range(int(rng.integers(1, 4))):
        u, v = rng.uniform(SEAM + 8, RIGHT + 15), rng.uniform(-22, 22)
        ang, length = rng.uniform(-0.6, 0.6) + rng.choice([0, np.pi / 2]), rng.uniform(18, 40)
        pts = [(u, v)]
        for _ in range(3):
            ang += rng.uniform(-0.3, 0.3)
            pts.append((pts[-1][0] + length / 3 * np.cos(ang), pts[-1][1] + length / 3 * np.sin(ang)))
        draw.line([_to_px(a, b) for a, b in pts], fill=255, width=int(rng.uniform(1.0, 1.6) * BM_SCALE))
    tone = rng.uniform(195, 230)
    return Defect("scratch", layers=[(_bits(img) * 0.9, (tone, tone * 0.8, tone * 0.75))])


def _faulty_imprint(rng):
    """Part of the "500" missing, or smeared print beside it."""
    cu = TEXT_U + rng.uniform(-18, 18)
    cv = TEXT_V + rng.uniform(-6, 6)
    blob = _canvas()
    ImageDraw.Draw(blob).polygon(_jagged(rng, cu, cv, rng.uniform(5, 10)), fill=255)
    if rng.random() < 0.6:
        return Defect("faulty_imprint", erase_ink=_bits(blob))
    return Defect("faulty_imprint", extra_ink=_bits(blob) * 0.9)


def _squeeze(rng):
    """A dent: the outline pushed inwards on one side, deforming the print with it."""
    u0 = rng.choice([rng.uniform(LEFT + 20, SEAM - 10), rng.uniform(SEAM + 10, RIGHT + 10)])
    return Defect("squeeze", dent=(u0, rng.uniform(25, 50), rng.uniform(5, 10), rng.choice([-1.0, 1.0])))


def _bits(img: Image.Image) -> np.ndarray:
    """A drawn bitmap as 0..1, low-pass filtered (half a pixel) so sampling it does not alias."""
    return ndimage.gaussian_filter(np.asarray(img, dtype=np.float32) / 255.0, BM_SCALE * 0.35)


# --- samples and folders
def sample(rng: np.random.Generator, size: int = 256, kind: str = "good"):
    """One photo-like capsule: ``(image uint8 [H, W, 3], mask bool [H, W])``.

    For a defect, ``mask`` = the pixels that differ from the same capsule without the defect
    (for a squeeze, also the moved part of the capsule; holes filled); for ``good`` all False.
    """
    good, image, mask = sample_pair(rng, size, kind)
    return image, mask


def sample_pair(rng: np.random.Generator, size: int = 256, kind: str = "good"):
    """``(good, image, mask)``: the capsule without and with the defect (same pose, lighting and
    noise), and the mask of the pixels that differ (holes filled).  For ``good``, image is good."""
    pose = random_pose(rng)
    noise = rng.normal(0, 1.3, (size, size, 3)).astype(np.float32)
    good = _finish(render(pose, size) + noise)
    if kind == "good":
        return good, good, np.zeros((size, size), bool)
    defect = make_defect(kind, rng)
    bad = _finish(render(pose, size, defect) + noise)
    changed = np.any(bad != good, axis=2)
    if defect.dent:
        changed |= dent_region(pose, size, defect.dent)
    return good, bad, ndimage.binary_fill_holes(changed)


def dent_region(pose: Pose, size: int, dent) -> np.ndarray:
    """The deformed part of the capsule (before or after the dent): a squeeze's mask also covers
    the pixels it moved without changing their colour (e.g. inside the black cap)."""
    u, v, _ = _frame(pose, size)
    vd = _dented(u, v, dent)
    inside = np.minimum(_stadium(u, v, LEFT, RIGHT, BODY_R), _stadium(u, v, LEFT, SEAM, CAP_R)) < 0
    moved = np.abs(vd - v) > 0.25
    return moved & inside                                # [size, size]


def _finish(img):
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def _jobs(spec: CapsuleSpec):
    """(relative image path, mask path or None, kind, per-image seed key) for the whole folder."""
    jobs = [(f"train/good/{i:03d}.png", None, "good", (0, 0, i)) for i in range(spec.n_train)]
    jobs += [(f"test/good/{i:03d}.png", None, "good", (1, 0, i)) for i in range(spec.n_test_good)]
    for k, kind in enumerate(DEFECTS, start=1):
        jobs += [(f"test/{kind}/{i:03d}.png", f"ground_truth/{kind}/{i:03d}_mask.png", kind, (1, k, i))
                 for i in range(spec.n_test_defect)]
    return jobs


SPEC_FILE = "synthetic_capsule.json"
VERSION = 2   # bump when the drawing changes, so cached folders are regenerated


def write_synthetic_capsule(out, spec: CapsuleSpec | None = None, progress: bool = True,
                            force: bool = False, hint: str = "hint_force") -> Path:
    """Write an MVTec-layout capsule folder at ``out``, deterministic for ``spec.seed``.

    Atomic: a temporary folder beside ``out`` is renamed when complete.  An existing ``out`` is
    replaced only if it is empty or an earlier synthetic capsule (``force``: any folder but the
    current one, its parents, home or a Git checkout); see ``outputs.write_folder``."""
    spec = spec or default_spec()

    def fill(tmp: Path) -> None:
        for rel, mask_rel, kind, key in progress_bar(_jobs(spec), desc=say("bar_synthetic"), disable=not progress):
            image, mask = sample(np.random.default_rng([spec.seed, *key]), spec.size, kind)
            _save(tmp / rel, image)
            if mask_rel:
                _save(tmp / mask_rel, mask.astype(np.uint8) * 255)

    return write_folder(out, fill, SPEC_FILE, {**asdict(spec), "version": VERSION}, force=force,
                        hint=hint, done=lambda folder: is_complete(folder, spec))


def _save(path: Path, array: np.ndarray):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


def is_complete(folder, spec: CapsuleSpec) -> bool:
    """True when ``folder`` was fully written with exactly ``spec`` by this `VERSION`."""
    f = Path(folder) / SPEC_FILE
    try:
        written = json.loads(f.read_text())
    except (OSError, ValueError):
        return False
    return isinstance(written, dict) and {k: written.get(k) for k in (*asdict(spec), "version")} == \
        {**asdict(spec), "version": VERSION}


def ensure_synthetic_capsule(seed: int = 0, spec: CapsuleSpec | None = None) -> Path:
    """The synthetic capsule in the cache (``data_dir()/synthetic_capsule``), generated on first use
    (again if incomplete or written with other settings; reduced settings use their own folder)."""
    spec = spec or default_spec(seed)
    name = "synthetic_capsule" if spec == CapsuleSpec(seed=spec.seed) else "synthetic_capsule_small"
    folder = config.data_dir() / (name if spec.seed == 0 else f"{name}_seed{spec.seed}")
    if not is_complete(folder, spec):
        write_synthetic_capsule(folder, spec, hint="hint_regenerated")
    return folder
