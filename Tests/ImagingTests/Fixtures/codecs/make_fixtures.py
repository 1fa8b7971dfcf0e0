#!/usr/bin/env python3
"""Generate the codec test fixtures in this folder.

Requires Pillow and pillow-heif (pip install pillow pillow-heif). The small PNG writer below writes
the PNG files of every colour type and bit depth, because Pillow cannot write 2- and 4-bit grey or
Adam7 interlacing. Pillow then reads each one back as a check. The sample formulas must match
PNGFixture in CodecPNGTests.swift.
"""
import io
import struct
import zlib
from pathlib import Path

from PIL import Image, ImageOps

OUT = Path(__file__).resolve().parent
WIDTH, HEIGHT = 7, 5


def base(x, y, c):
    return (x * 37 + y * 71 + c * 101) % 256


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def pack_row(samples, depth):
    if depth == 16:
        return b"".join(struct.pack(">H", s) for s in samples)
    if depth == 8:
        return bytes(samples)
    per_byte = 8 // depth
    out = bytearray()
    for i in range(0, len(samples), per_byte):
        group = samples[i:i + per_byte] + [0] * (per_byte - len(samples[i:i + per_byte]))
        value = 0
        for s in group:
            value = (value << depth) | s
        out.append(value)
    return bytes(out)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def write_png(name, color_type, depth, pixel, plte=None, trns=None, interlaced=False, extra=b""):
    """pixel(x, y) returns the list of samples of one pixel."""
    ihdr = struct.pack(">IIBBBBB", WIDTH, HEIGHT, depth, color_type, 0, 0, 1 if interlaced else 0)
    passes = ADAM7 if interlaced else [(0, 0, 1, 1)]
    raw = bytearray()
    for x0, y0, dx, dy in passes:
        xs = list(range(x0, WIDTH, dx))
        if not xs:
            continue
        for y in range(y0, HEIGHT, dy):
            raw.append(0)
            raw += pack_row([s for x in xs for s in pixel(x, y)], depth)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra
    if plte is not None:
        data += chunk(b"PLTE", plte)
    if trns is not None:
        data += chunk(b"tRNS", trns)
    data += chunk(b"IDAT", zlib.compress(bytes(raw))) + chunk(b"IEND", b"")
    (OUT / name).write_bytes(data)
    Image.open(OUT / name).load()  # Pillow must read every fixture.


def palette_entry(i):
    return (i * 50 % 256, i * 90 % 256, i * 130 % 256)


def make_pngs():
    for depth in (1, 2, 4, 8):
        count = 1 << depth
        plte = b"".join(bytes(palette_entry(i)) for i in range(count))
        write_png(f"png-palette-{depth}.png", 3, depth, lambda x, y: [base(x, y, 0) % count], plte=plte)
        if depth in (2, 8):
            trns = bytes(i * 60 % 256 for i in range(count))
            write_png(f"png-palette-{depth}-trns.png", 3, depth, lambda x, y: [base(x, y, 0) % count], plte=plte, trns=trns)
    for depth in (1, 2, 4, 8):
        write_png(f"png-gray-{depth}.png", 0, depth, lambda x, y: [base(x, y, 0) % (1 << depth)])
    write_png("png-gray-16.png", 0, 16, lambda x, y: [base(x, y, 0) * 257 + x * 10])
    write_png("png-gray-8-trns.png", 0, 8, lambda x, y: [base(x, y, 0)], trns=struct.pack(">H", base(3, 2, 0)))
    write_png("png-rgb-8.png", 2, 8, lambda x, y: [base(x, y, c) for c in range(3)])
    write_png("png-rgb-16.png", 2, 16, lambda x, y: [base(x, y, c) * 257 + x * 10 for c in range(3)])
    write_png("png-rgb-8-trns.png", 2, 8, lambda x, y: [base(x, y, c) for c in range(3)],
              trns=struct.pack(">HHH", *(base(3, 2, c) for c in range(3))))
    write_png("png-graya-8.png", 4, 8, lambda x, y: [base(x, y, c) for c in range(2)])
    write_png("png-graya-16.png", 4, 16, lambda x, y: [base(x, y, c) * 257 + x * 10 for c in range(2)])
    write_png("png-rgba-8.png", 6, 8, lambda x, y: [base(x, y, c) for c in range(4)])
    write_png("png-rgba-16.png", 6, 16, lambda x, y: [base(x, y, c) * 257 + x * 10 for c in range(4)])
    write_png("png-rgba-8-interlaced.png", 6, 8, lambda x, y: [base(x, y, c) for c in range(4)], interlaced=True)
    write_png("png-gray-4-interlaced.png", 0, 4, lambda x, y: [base(x, y, 0) % 16], interlaced=True)
    plte = b"".join(bytes(palette_entry(i)) for i in range(4))
    write_png("png-palette-2-trns-interlaced.png", 3, 2, lambda x, y: [base(x, y, 0) % 4], plte=plte,
              trns=bytes(i * 60 % 256 for i in range(4)), interlaced=True)


# Display transform from stored to upright pixels per EXIF orientation, as in Pillow's exif_transpose.
DISPLAY = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
           5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
           8: Image.Transpose.ROTATE_90}
INVERSE = {6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270}


def upright_blocks(block):
    """A 3x2 grid of coloured blocks, so every rotation and mirror gives a different picture."""
    colors = [(220, 30, 30), (30, 200, 40), (40, 60, 220), (240, 240, 240), (20, 20, 20), (230, 200, 20)]
    im = Image.new("RGB", (3 * block, 2 * block))
    for i, color in enumerate(colors):
        im.paste(color, ((i % 3) * block, (i // 3) * block, (i % 3 + 1) * block, (i // 3 + 1) * block))
    return im


def make_orientations():
    small = Image.new("RGB", (6, 4))
    small.putdata([(x * 40, y * 60, (x * y * 13) % 256) for y in range(4) for x in range(6)])
    blocks = upright_blocks(16)
    small.save(OUT / "orientation-upright.png")
    blocks.save(OUT / "orientation-upright.jpg", quality=95, subsampling=0)
    for o in range(1, 9):
        for image, suffix in ((small, "png"), (blocks, "jpg")):
            stored = image if o == 1 else image.transpose(INVERSE.get(o, DISPLAY.get(o)))
            exif = Image.Exif()
            exif[0x0112] = o
            path = OUT / f"orientation-{o}.{suffix}"
            if suffix == "png":
                stored.save(path, exif=exif.tobytes())
            else:
                stored.save(path, exif=exif.tobytes(), quality=95, subsampling=0)
            check = ImageOps.exif_transpose(Image.open(path))
            assert check.size == image.size, (o, suffix)
            if suffix == "png":
                assert list(check.getdata()) == list(image.getdata()), o


CMYK_PATCHES = [(255, 0, 0, 0), (0, 255, 0, 0), (0, 0, 255, 0), (0, 0, 0, 128), (64, 128, 192, 32), (0, 0, 0, 0)]


def cmyk_image(values):
    im = Image.new("CMYK", (16 * len(values), 16))
    for i, value in enumerate(values):
        im.paste(value, (16 * i, 0, 16 * (i + 1), 16))
    return im


def strip_app14(data):
    """Removes the Adobe APP14 segment, so readers treat the samples as plain (not inverted) CMYK."""
    start = data.index(b"\xff\xeeAdobe"[:2] + b"\x00")  # FF EE and the high length byte
    length = struct.unpack(">H", data[start + 2:start + 4])[0]
    assert data[start + 4:start + 9] == b"Adobe"
    return data[:start] + data[start + 2 + length:]


def make_cmyk():
    # Pillow stores CMYK JPEGs the Adobe way: inverted samples and an APP14 "Adobe" segment.
    buffer = io.BytesIO()
    cmyk_image(CMYK_PATCHES).save(buffer, "JPEG", quality=95)
    adobe = buffer.getvalue()
    assert b"\xff\xee" in adobe
    (OUT / "cmyk-adobe.jpg").write_bytes(adobe)
    # Saving the inverted patches stores the plain samples; without APP14 they read as plain CMYK.
    inverted = [tuple(255 - v for v in patch) for patch in CMYK_PATCHES]
    buffer = io.BytesIO()
    cmyk_image(inverted).save(buffer, "JPEG", quality=95)
    (OUT / "cmyk-plain.jpg").write_bytes(strip_app14(buffer.getvalue()))


def s15fixed16(value):
    return struct.pack(">i", round(value * 65536))


def tag_xyz(xyz):
    return b"XYZ " + b"\0" * 4 + b"".join(s15fixed16(v) for v in xyz)


def adobe_rgb_profile():
    """An ICC v2 matrix/TRC profile for Adobe RGB (1998): gamma 563/256 and D50-adapted colorants."""
    desc_text = b"Adobe RGB (1998) test profile\0"
    desc = b"desc" + b"\0" * 4 + struct.pack(">I", len(desc_text)) + desc_text + b"\0" * 12 + b"\0" * 67
    curve = b"curv" + b"\0" * 4 + struct.pack(">I", 1) + struct.pack(">H", 563) + b"\0\0"
    tags = [
        (b"desc", desc),
        (b"wtpt", tag_xyz((0.9642, 1.0, 0.8249))),
        (b"rXYZ", tag_xyz((0.60974, 0.31111, 0.01947))),
        (b"gXYZ", tag_xyz((0.20528, 0.62567, 0.06087))),
        (b"bXYZ", tag_xyz((0.14919, 0.06322, 0.74457))),
        (b"rTRC", curve), (b"gTRC", curve), (b"bTRC", curve),
        (b"cprt", b"text" + b"\0" * 4 + b"No copyright, test data\0"),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for signature, data in tags:
        data += b"\0" * (-len(data) % 4)
        table += signature + struct.pack(">II", offset + len(body), len(data))
        body += data
    size = offset + len(body)
    header = struct.pack(">I", size) + b"none" + bytes([2, 0x10, 0, 0]) + b"mntrRGB XYZ " + b"\0" * 12
    header += b"acsp" + b"\0" * 24 + struct.pack(">I", 0) + s15fixed16(0.9642) + s15fixed16(1.0) + s15fixed16(0.8249)
    header += b"\0" * (128 - len(header))
    return header + struct.pack(">I", len(tags)) + table + body


def make_icc():
    profile = adobe_rgb_profile()
    (OUT / "adobe-rgb.icc").write_bytes(profile)
    im = Image.new("RGB", (3, 1))
    im.putdata([(200, 100, 50), (0, 128, 0), (128, 128, 128)])
    im.save(OUT / "icc-adobe-rgb.png", icc_profile=profile)
    big = im.resize((24, 8), Image.Resampling.NEAREST)
    big.save(OUT / "icc-adobe-rgb.jpg", icc_profile=profile, quality=100, subsampling=0)


def make_bombs():
    # 50000x50000 declared in IHDR with one tiny IDAT: 2.5 gigapixels in about 60 bytes.
    ihdr = struct.pack(">IIBBBBB", 50000, 50000, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 16)
    (OUT / "bomb.png").write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
    zero = struct.pack(">IIBBBBB", 0, 16, 8, 2, 0, 0, 0)
    (OUT / "zero-width.png").write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", zero) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
    # A JPEG whose SOF0 header is patched to 60000x60000.
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 20, 30)).save(buffer, "JPEG")
    data = bytearray(buffer.getvalue())
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", 60000, 60000)
    (OUT / "bomb.jpg").write_bytes(bytes(data))


def make_other_formats():
    pattern = Image.new("RGBA", (WIDTH, HEIGHT))
    pattern.putdata([tuple(base(x, y, c) for c in range(4)) for y in range(HEIGHT) for x in range(WIDTH)])
    exif = Image.Exif()
    exif[0x0112] = 1
    pattern.save(OUT / "webp-lossless-rgba.webp", lossless=True, exif=exif.tobytes(), icc_profile=adobe_rgb_profile())
    frames = [Image.new("RGB", (8, 8), color) for color in ((255, 0, 0), (0, 0, 255))]
    frames[0].save(OUT / "webp-animated.webp", save_all=True, append_images=frames[1:], duration=100, lossless=True)
    small = Image.new("RGB", (4, 4), (1, 2, 3))
    small.save(OUT / "sample.gif")
    small.save(OUT / "sample.tiff")
    small.save(OUT / "sample.bmp")
    import pillow_heif
    pillow_heif.register_heif_opener()
    upright_blocks(32).save(OUT / "blocks.heic", quality=90)
    # pillow-heif turns EXIF orientation 6 into an irot transform of the stored (turned) picture.
    exif = Image.Exif()
    exif[0x0112] = 6
    upright_blocks(32).transpose(INVERSE[6]).save(OUT / "blocks-orientation-6.heic", quality=90, exif=exif.tobytes())
    assert b"irot" in (OUT / "blocks-orientation-6.heic").read_bytes()
    translucent = upright_blocks(32).convert("RGBA")
    translucent.putalpha(128)
    translucent.save(OUT / "blocks-alpha.heic", quality=90)


if __name__ == "__main__":
    make_pngs()
    make_orientations()
    make_cmyk()
    make_icc()
    make_bombs()
    make_other_formats()
