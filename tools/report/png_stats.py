#!/usr/bin/env python3
"""Decode a PNG (8-bit gray/RGB/RGBA, non-interlaced) with the standard
library only and print JSON statistics: width, height, distinct colours and
the fraction of pixels that are not (near) white. Used by the report tests
to check that a screenshot or a mask picture is not blank.

usage: png_stats.py FILE.png
"""
import json
import struct
import sys
import zlib


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def decode(data):
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        crc = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]
        if zlib.crc32(ctype + body) & 0xFFFFFFFF != crc:
            raise ValueError("bad CRC in chunk %r" % ctype)
        if ctype == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif ctype == b"IDAT":
            idat += body
        elif ctype == b"IEND":
            break
        pos += 12 + length
    width, height, depth, color, _, _, interlace = header
    channels = {0: 1, 2: 3, 6: 4, 4: 2}.get(color)
    if depth != 8 or channels is None or interlace:
        raise ValueError("unsupported PNG: depth %d colour type %d interlace %d"
                         % (depth, color, interlace))
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, prev, at = [], bytearray(stride), 0
    for _ in range(height):
        ftype, line = raw[at], bytearray(raw[at + 1:at + 1 + stride])
        at += 1 + stride
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 0xFF
            elif ftype == 2:
                line[i] = (line[i] + b) & 0xFF
            elif ftype == 3:
                line[i] = (line[i] + ((a + b) >> 1)) & 0xFF
            elif ftype == 4:
                line[i] = (line[i] + paeth(a, b, c)) & 0xFF
        rows.append(line)
        prev = line
    return width, height, channels, rows


def stats_pillow(path):
    from PIL import Image, ImageChops
    with open(path, "rb") as f:
        if f.read(8) != b"\x89PNG\r\n\x1a\n":
            raise ValueError("not a PNG file")
    img = Image.open(path).convert("RGB")
    width, height = img.size
    r, g, b = img.split()
    darkest = ImageChops.darker(ImageChops.darker(r, g), b).histogram()
    colours = img.getcolors(maxcolors=width * height)
    return width, height, len(colours), sum(darkest[:240])


def stats_stdlib(path):
    with open(path, "rb") as f:
        width, height, channels, rows = decode(f.read())
    colours, nonwhite = set(), 0
    for line in rows:
        for x in range(0, len(line), channels):
            px = bytes(line[x:x + min(channels, 3)])
            colours.add(px)
            if min(px) < 240:
                nonwhite += 1
    return width, height, len(colours), nonwhite


def main():
    try:
        import PIL  # noqa: F401  (much faster when installed)
        width, height, ncolours, nonwhite = stats_pillow(sys.argv[1])
    except ImportError:
        width, height, ncolours, nonwhite = stats_stdlib(sys.argv[1])
    print(json.dumps({"width": width, "height": height, "distinct_colors": ncolours,
                      "nonwhite_fraction": nonwhite / float(width * height)}))


if __name__ == "__main__":
    main()
