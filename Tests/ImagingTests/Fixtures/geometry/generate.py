#!/usr/bin/env python3
"""Generate the geometry test fixtures with Pillow, NumPy and SciPy.

Run from the repository root:  python3 Tests/ImagingTests/Fixtures/geometry/generate.py
Versions used for the committed files: Pillow 13.0.0, NumPy 2.4.6, SciPy 1.17.1.

Every image is stored as binary PGM (P5), PPM (P6) or PAM (P7) so the Swift tests can read it
without the PNG or JPEG codecs. Large expected outputs keep only every 16th row to stay small.
"""
import math
import os

import numpy as np
from PIL import Image
from scipy.ndimage import gaussian_filter, grey_dilation

HERE = os.path.dirname(os.path.abspath(__file__))
PHOTOS = os.path.join(HERE, "..", "..", "..", "Photos")
ROW_STEP = 16

FILTERS = {
    "nearest": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos3": Image.Resampling.LANCZOS,
}

# Must match `pattern(width:height:layout:)` in the Swift tests.
def pattern(width, height, channels):
    y, x = np.mgrid[0:height, 0:width].astype(np.int64)
    planes = []
    for c in range(channels):
        v = (x * (3 + c) + y * (5 + 2 * c) + ((x * y) >> 6)) ^ (x >> 4) ^ (y >> 3)
        planes.append(v & 255)
    return np.stack(planes, axis=-1).astype(np.uint8)


def write_netpbm(name, array):
    path = os.path.join(HERE, name)
    array = np.ascontiguousarray(array, dtype=np.uint8)
    height, width = array.shape[:2]
    channels = 1 if array.ndim == 2 else array.shape[2]
    if channels == 1:
        header = f"P5\n{width} {height}\n255\n"
    elif channels == 3:
        header = f"P6\n{width} {height}\n255\n"
    else:
        tupltype = {2: "GRAYSCALE_ALPHA", 4: "RGB_ALPHA"}[channels]
        header = f"P7\nWIDTH {width}\nHEIGHT {height}\nDEPTH {channels}\nMAXVAL 255\nTUPLTYPE {tupltype}\nENDHDR\n"
    with open(path, "wb") as f:
        f.write(header.encode("ascii"))
        f.write(array.tobytes())


def photo_crop(file, left, top, width, height):
    with Image.open(os.path.join(PHOTOS, file)) as im:
        return np.asarray(im.convert("RGB").crop((left, top, left + width, top + height)))


def resize(array, width, height, filter_name):
    mode = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}[1 if array.ndim == 2 else array.shape[2]]
    im = Image.fromarray(array, mode)
    return np.asarray(im.resize((width, height), FILTERS[filter_name]))


def make_resize_fixtures():
    sources = {
        "kite": photo_crop("kite.jpg", 1210, 610, 96, 64),
        "cups": photo_crop("colorfulcups.jpg", 700, 900, 96, 64),
    }
    for name, array in sources.items():
        write_netpbm(f"photo-{name}.ppm", array)
        for filter_name in FILTERS:
            for width, height in [(37, 23), (150, 101), (200, 40)]:
                write_netpbm(f"resize-{name}-{filter_name}-{width}x{height}.ppm", resize(array, width, height, filter_name))

    synthetic = pattern(64, 48, 3)
    for filter_name in FILTERS:
        write_netpbm(f"resize-pattern-{filter_name}-31x97.ppm", resize(synthetic, 31, 97, filter_name))

    rgba = np.concatenate([sources["kite"], pattern(96, 64, 1)], axis=2)
    write_netpbm("photo-kite-rgba.pam", rgba)
    for filter_name, (width, height) in [("lanczos3", (50, 30)), ("lanczos3", (130, 90)), ("bilinear", (50, 30))]:
        write_netpbm(f"resize-kite-rgba-{filter_name}-{width}x{height}.pam", resize(rgba, width, height, filter_name))

    gray = np.asarray(Image.fromarray(sources["cups"], "RGB").convert("L"))
    write_netpbm("photo-cups-gray.pgm", gray)
    for filter_name in ["lanczos3", "bilinear"]:
        write_netpbm(f"resize-cups-gray-{filter_name}-41x77.pgm", resize(gray, 41, 77, filter_name))

    gray_alpha = np.stack([gray, pattern(96, 64, 1)[:, :, 0]], axis=2)
    write_netpbm("photo-cups-gray-alpha.pam", gray_alpha)
    write_netpbm("resize-cups-gray-alpha-lanczos3-50x30.pam", resize(gray_alpha, 50, 30, "lanczos3"))


PREFERRED = [
    (672, 1568), (688, 1504), (720, 1456), (752, 1392), (800, 1328), (832, 1248), (880, 1184), (944, 1104),
    (1024, 1024),
    (1104, 944), (1184, 880), (1248, 832), (1328, 800), (1392, 752), (1456, 720), (1504, 688), (1568, 672),
]


def kontext_nearest(width, height):
    # The rule of ComfyUI's FluxKontextImageScale: a Python tuple min over (|ar - w/h|, w, h).
    aspect = width / height
    _, w, h = min((abs(aspect - w / h), w, h) for w, h in PREFERRED)
    return w, h


def kontext_crop(width, height, target_w, target_h):
    # comfy.utils.common_upscale(..., crop="center"): round() is Python's round-half-even.
    old_aspect = width / height
    new_aspect = target_w / target_h
    x = y = 0
    if old_aspect > new_aspect:
        x = round((width - width * (new_aspect / old_aspect)) / 2)
    elif old_aspect < new_aspect:
        y = round((height - height * (old_aspect / new_aspect)) / 2)
    return x, y, width - 2 * x, height - 2 * y


def make_kontext_fixtures():
    sizes = [(w, h) for w in range(16, 4100, 113) for h in range(16, 4100, 127)]
    sizes += [(1, 1), (1, 5000), (5000, 1), (1920, 1080), (4000, 3000), (1000, 1000), (2560, 1600)]
    sizes += [(w, h) for w, h in PREFERRED]
    with open(os.path.join(HERE, "kontext-nearest.txt"), "w") as f:
        f.write("# input_width input_height kontext_width kontext_height\n")
        for w, h in sizes:
            f.write("%d %d %d %d\n" % (w, h, *kontext_nearest(w, h)))

    sources = {
        "kite": photo_crop("kite.jpg", 1000, 500, 480, 300),
        "pattern-wide": pattern(1900, 1000, 3),
        "pattern-tall": pattern(700, 1500, 3),
    }
    write_netpbm("photo-kite-480x300.ppm", sources["kite"])
    with open(os.path.join(HERE, "kontext-scaled.txt"), "w") as f:
        f.write("# name input_width input_height crop_x crop_y crop_width crop_height output_width output_height\n")
        for name, array in sources.items():
            height, width = array.shape[:2]
            target_w, target_h = kontext_nearest(width, height)
            x, y, cw, ch = kontext_crop(width, height, target_w, target_h)
            cropped = Image.fromarray(array, "RGB").crop((x, y, x + cw, y + ch))
            out = np.asarray(cropped.resize((target_w, target_h), Image.Resampling.LANCZOS))
            write_netpbm(f"kontext-{name}-rows{ROW_STEP}.ppm", out[::ROW_STEP])
            f.write(f"{name} {width} {height} {x} {y} {cw} {ch} {target_w} {target_h}\n")


def make_mask_fixtures():
    y, x = np.mgrid[0:96, 0:128]
    mask = np.zeros((96, 128), dtype=np.uint8)
    mask[10:40, 20:60] = 255
    mask[(x - 90) ** 2 + (y - 50) ** 2 <= 15 ** 2] = 255
    mask[70:90, 10:30] = 128
    write_netpbm("mask-shapes.pgm", mask)
    for sigma in [2.0, 5.5]:
        blurred = gaussian_filter(mask.astype(np.float64), sigma=sigma, mode="reflect", truncate=4.0)
        write_netpbm(f"mask-feather-{sigma}.pgm", np.clip(np.rint(blurred), 0, 255).astype(np.uint8))
    for radius in [3, 7]:
        dy, dx = np.mgrid[-radius:radius + 1, -radius:radius + 1]
        disc = dx * dx + dy * dy <= radius * radius
        write_netpbm(f"mask-grow-{radius}.pgm", grey_dilation(mask, footprint=disc, mode="nearest"))


def ics_blend_weight(mask, blend_pixels):
    # The blend weight of InpaintCropImproved / InpaintStitchImproved (ComfyUI-Inpaint-CropAndStitch
    # 3.0.9, CPU mode) for a crop that already has the target size. The mask is dilated with a square of
    # side ceil(1.5 * B / 4 + 1), blurred with sigma B / 8 and cleared below 0.1. A second blur with
    # sigma B / 8 follows, and truncation to 8 bits as torchvision's to_pil_image does.
    m = mask.astype(np.float32) / 255
    side = math.ceil(1.5 * blend_pixels / 4 + 1)
    m = grey_dilation(m, footprint=np.ones((side, side), dtype=np.uint8))
    m = np.clip(gaussian_filter(m, sigma=blend_pixels / 8), 0, 1)
    m[m < 0.1] = 0
    m = np.clip(gaussian_filter(m, sigma=blend_pixels / 8), 0, 1)
    return (m * 255).astype(np.uint8)


def make_blend_fixtures():
    with Image.open(os.path.join(HERE, "mask-shapes.pgm")) as im:
        mask = np.asarray(im)
    for blend_pixels in [16, 32]:
        write_netpbm(f"ics-blend-{blend_pixels}.pgm", ics_blend_weight(mask, blend_pixels))


if __name__ == "__main__":
    for stale in os.listdir(HERE):
        if stale.endswith((".ppm", ".pgm", ".pam", ".txt")):
            os.remove(os.path.join(HERE, stale))
    make_resize_fixtures()
    make_kontext_fixtures()
    make_mask_fixtures()
    make_blend_fixtures()
