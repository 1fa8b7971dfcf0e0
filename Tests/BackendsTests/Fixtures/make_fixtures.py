#!/usr/bin/env python3
"""Generate the photo crops that BackendsTests reads, as binary PPM (P6).

Each crop is a square region of a photo in Tests/Photos, reduced with
Pillow's Lanczos filter so that a test image stays small but keeps the
photo's texture. Run from any directory: `python3 make_fixtures.py`.
Needs Pillow (`pip install pillow`); the tests themselves need no Python.
"""
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent
PHOTOS = HERE.parent.parent / "Photos"

# name: (photo, left, top, side of the square in the photo, output side)
CROPS = {
    "moss": ("path.jpg", 100, 1088, 512, 192),
    "boards": ("bythewater.jpg", 1600, 700, 512, 192),
    "cloud": ("kite.jpg", 0, 300, 512, 192),
    "tree": ("autumn.jpg", 1400, 300, 512, 192),
    "cups": ("colorfulcups.jpg", 600, 400, 512, 192),
    # Larger crop for the speed benchmark, which mirrors it to 1024x1024.
    "forest512": ("path.jpg", 0, 576, 1024, 512),
}


def main() -> None:
    for name, (photo, left, top, side, out) in CROPS.items():
        with Image.open(PHOTOS / photo) as image:
            crop = image.convert("RGB").crop((left, top, left + side, top + side))
            crop = crop.resize((out, out), Image.Resampling.LANCZOS)
            crop.save(HERE / f"{name}.ppm")
            print(f"{name}.ppm: {photo} ({left},{top}) {side}px -> {out}px")


if __name__ == "__main__":
    main()
