"""The Kontext output size and centre crop, as Sources/Imaging/KontextResolution.swift computes them.

Both follow ComfyUI's FluxKontextImageScale node: the preferred size nearest in aspect ratio, then a
centred crop of round((w - w * target_aspect / source_aspect) / 2) columns (or rows) from each side,
with Python's round (half to even).
"""

PREFERRED = [
    (672, 1568), (688, 1504), (720, 1456), (752, 1392), (800, 1328), (832, 1248), (880, 1184), (944, 1104),
    (1024, 1024),
    (1104, 944), (1184, 880), (1248, 832), (1328, 800), (1392, 752), (1456, 720), (1504, 688), (1568, 672),
]


def kontext_crop(width: int, height: int) -> tuple[int, int, tuple[int, int, int, int]]:
    """Return the target width, height and the crop box (left, top, right, bottom) for an image."""
    ratio = width / height
    target_width, target_height = min(PREFERRED, key=lambda size: (abs(ratio - size[0] / size[1]), size))
    source_aspect = width / height
    target_aspect = target_width / target_height
    x = y = 0
    if source_aspect > target_aspect:
        x = round((width - width * (target_aspect / source_aspect)) / 2)
    elif source_aspect < target_aspect:
        y = round((height - height * (source_aspect / target_aspect)) / 2)
    return target_width, target_height, (x, y, width - x, height - y)
