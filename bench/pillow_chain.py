#!/usr/bin/env python3
"""Pillow's decode -> Kontext scale -> JPEG encode as one command, for the hyperfine chain in bench/imaging.py.

Usage: pillow_chain.py INPUT OUTPUT.jpg
"""
import sys

from PIL import Image

from kontext_geometry import kontext_crop


def main() -> None:
    source, target = sys.argv[1], sys.argv[2]
    with Image.open(source) as image:
        image.load()
        width, height, box = kontext_crop(image.width, image.height)
        # resize(box=...) crops and resamples in one pass, which is how Pillow users write a centre crop.
        scaled = image.resize((width, height), Image.Resampling.LANCZOS, box=box)
    # subsampling=0 is 4:4:4, as kontextd, libvips and ImageMagick write at quality 90 and above.
    scaled.save(target, "JPEG", quality=90, subsampling=0)


if __name__ == "__main__":
    main()
