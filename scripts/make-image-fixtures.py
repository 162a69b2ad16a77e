#!/usr/bin/python3
"""Generate the image fixtures under tests/fixtures/images/ (the outputs are committed; CI never runs this).

Run:  /usr/bin/python3 scripts/make-image-fixtures.py

Needs, only to regenerate: numpy, scipy, PIL (python3-pil), pydicom (python3-pydicom) and
python3-gdcm, plus the command-line encoders from Debian packages: dcmtk (dcmconv, dcmcrle,
dcmcjpeg, dcmcjpls), libgdcm-tools (gdcmconv), libtiff-tools (tiffcp).

Every image holds a known pattern (see the pattern functions below; tests/unit/imaging/patterns.ts
re-implements them independently) so the tests can compare decoded pixels with exact values
(lossless formats) or within a tolerance (lossy formats). Lossless DICOM fixtures are decoded back
with pydicom + gdcm here and compared with the pattern, so a broken encoder cannot slip through.

It also writes preprocess-reference.json: resize references computed with numpy / scipy / PIL
(bilinear with half-pixel centres: scipy.ndimage.zoom(order=1, grid_mode=True, mode='nearest'),
which is TF's resizeBilinear(halfPixelCenters=true); area: the exact area-overlap matrix, checked
against PIL's BOX filter where the scale is an integer), BT.601 luminance, letterbox padding and the
8-bit grayscale used by the file-size variety metric.
"""
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
from PIL import Image
import scipy.ndimage

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures', 'images')
ROOT = os.path.normpath(ROOT)
W, H = 16, 12
X, Y = np.meshgrid(np.arange(W), np.arange(H))  # shape (H, W)


# ---------------------------------------------------------------- patterns (mirrored in patterns.ts)
def hash8(x, y, c):
    return (x * 16 + y * 21 + c * 85) % 256


def hash16(x, y, c):
    return (x * 4099 + y * 5281 + c * 21845) % 65536


def smooth8(x, y, c):
    base = 30 + 10 * x + 6 * y
    return [base, 255 - base, 60 + (base >> 1)][c]


def hash12(x, y):
    return (x * 173 + y * 301) % 4096


def smooth12(x, y):
    return 500 + 150 * x + 100 * y


def alpha8(x, y):
    return 128 + (x * y) % 128


def palette16():
    return [(i * 16, 255 - i * 16, (i * 37) % 256) for i in range(16)]


def pal_index(x, y):
    return (x + y * 3) % 16


def rgb(fn, w=W, h=H, dtype=np.uint8):
    xx, yy = np.meshgrid(np.arange(w), np.arange(h))
    return np.stack([fn(xx, yy, c) for c in range(3)], axis=-1).astype(dtype)


def gray(fn, w=W, h=H, dtype=np.uint8):
    xx, yy = np.meshgrid(np.arange(w), np.arange(h))
    return fn(xx, yy, 0).astype(dtype) if fn.__code__.co_argcount == 3 else fn(xx, yy).astype(dtype)


def out(*parts):
    p = os.path.join(ROOT, *parts)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


def run(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)


# ---------------------------------------------------------------- PNG (hand-written encoder)
def png_bytes(rows_bytes, w, h, depth, color_type, palette=None):
    def chunk(tag, data):
        return struct.pack('>I', len(data)) + tag + data + struct.pack('>I', zlib.crc32(tag + data) & 0xFFFFFFFF)
    raw = b''.join(b'\x00' + r for r in rows_bytes)
    ihdr = struct.pack('>IIBBBBB', w, h, depth, color_type, 0, 0, 0)
    body = chunk(b'IHDR', ihdr)
    if palette is not None:
        body += chunk(b'PLTE', bytes(v for rgb_ in palette for v in rgb_))
    body += chunk(b'IDAT', zlib.compress(raw, 9)) + chunk(b'IEND', b'')
    return b'\x89PNG\r\n\x1a\n' + body


def png_rows(arr, depth):
    """arr (H, W) or (H, W, C) of ints -> list of row byte strings."""
    a = arr if arr.ndim == 3 else arr[:, :, None]
    rows = []
    for r in a:
        flat = r.reshape(-1)
        if depth == 8:
            rows.append(flat.astype('>u1').tobytes())
        elif depth == 16:
            rows.append(flat.astype('>u2').tobytes())
        else:
            bits = ''.join(format(int(v), '0%db' % depth) for v in flat)
            bits += '0' * (-len(bits) % 8)
            rows.append(bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8)))
    return rows


def write_png(name, arr, depth, color_type, palette=None):
    h, w = arr.shape[:2]
    data = png_bytes(png_rows(arr, depth), w, h, depth, color_type, palette)
    with open(out('formats', name), 'wb') as f:
        f.write(data)
    return data


def make_png():
    write_png('png-gray8.png', gray(hash8), 8, 0)
    write_png('png-gray16.png', gray(hash16, dtype=np.uint16), 16, 0)
    write_png('png-gray4.png', ((X + 2 * Y) % 16), 4, 0)
    write_png('png-graya8.png', np.stack([gray(hash8), alpha8(X, Y)], -1), 8, 4)
    rgb8 = write_png('png-rgb8.png', rgb(hash8), 8, 2)
    write_png('png-rgb16.png', rgb(hash16, dtype=np.uint16), 16, 2)
    write_png('png-rgba8.png', np.concatenate([rgb(hash8), alpha8(X, Y)[:, :, None]], -1), 8, 6)
    write_png('png-rgba16.png', np.concatenate([rgb(hash16, dtype=np.uint16), (alpha8(X, Y) * 257)[:, :, None]], -1), 16, 6)
    write_png('png-palette.png', pal_index(X, Y), 8, 3, palette16())
    write_png('png-palette-gray.png', pal_index(X, Y), 4, 3, [(i * 17,) * 3 for i in range(16)])
    return rgb8


# ---------------------------------------------------------------- JPEG / WebP / GIF (PIL)
def make_pil():
    im = Image.fromarray(rgb(smooth8), 'RGB')
    im.save(out('formats', 'jpeg-baseline.jpg'), quality=95, subsampling=0)
    im.save(out('formats', 'jpeg-progressive.jpg'), quality=95, subsampling=0, progressive=True)
    Image.fromarray(gray(smooth8), 'L').save(out('formats', 'jpeg-gray.jpg'), quality=95)
    Image.fromarray(rgb(hash8), 'RGB').save(out('formats', 'webp-lossless.webp'), lossless=True)
    rgba = np.concatenate([rgb(hash8), alpha8(X, Y)[:, :, None]], -1).astype(np.uint8)
    Image.fromarray(rgba, 'RGBA').save(out('formats', 'webp-lossless-alpha.webp'), lossless=True)
    im.save(out('formats', 'webp-lossy.webp'), quality=95)
    Image.fromarray(gray(hash8), 'L').save(out('bad', 'image.gif'))


# ---------------------------------------------------------------- BMP (hand-written)
def bmp_file(w, h, bpp, pixel_rows, palette=None, header='info', compression=0, masks=None, top_down=False):
    """pixel_rows: list of row byte strings, top row first (unpadded)."""
    stride = ((w * bpp + 31) // 32) * 4
    rows = [r + b'\x00' * (stride - len(r)) for r in pixel_rows]
    if not top_down:
        rows = rows[::-1]
    pix = b''.join(rows)
    pal = b''
    if palette is not None:
        pal = b''.join(bytes([b, g, r, 0]) for (r, g, b) in palette)
    hh = -h if top_down else h
    if header == 'info':
        dib = struct.pack('<IiiHHIIiiII', 40, w, hh, 1, bpp, compression, len(pix), 2835, 2835,
                          len(palette) if palette else 0, 0)
        if masks is not None:
            dib += struct.pack('<III', *masks[:3])
    else:  # BITMAPV4HEADER
        dib = struct.pack('<IiiHHIIiiII', 108, w, hh, 1, bpp, compression, len(pix), 2835, 2835, 0, 0)
        dib += struct.pack('<IIII', *masks) + b'sRGB' + b'\x00' * 36 + b'\x00' * 12
    off = 14 + len(dib) + len(pal)
    return b'BM' + struct.pack('<IHHI', off + len(pix), 0, 0, off) + dib + pal + pix


def make_bmp():
    w = 15  # odd width: rows need padding
    xx, yy = np.meshgrid(np.arange(w), np.arange(H))
    c = [hash8(xx, yy, k).astype(np.uint8) for k in range(3)]
    rows24 = [np.stack([c[2][r], c[1][r], c[0][r]], -1).tobytes() for r in range(H)]
    open(out('formats', 'bmp-rgb24.bmp'), 'wb').write(bmp_file(w, H, 24, rows24))
    rows8 = [c[0][r].tobytes() for r in range(H)]
    open(out('formats', 'bmp-gray8.bmp'), 'wb').write(bmp_file(w, H, 8, rows8, [(i, i, i) for i in range(256)]))
    idx = pal_index(xx, yy)
    rows4 = []
    for r in range(H):
        v = list(idx[r]) + [0]
        rows4.append(bytes((v[i] << 4) | v[i + 1] for i in range(0, w, 2)))
    open(out('formats', 'bmp-pal4.bmp'), 'wb').write(bmp_file(w, H, 4, rows4, palette16()))
    bits = (xx + yy) % 2
    rows1 = []
    for r in range(H):
        s = ''.join(str(int(b)) for b in bits[r]) + '0'
        rows1.append(bytes(int(s[i:i + 8].ljust(8, '0'), 2) for i in range(0, len(s), 8)))
    open(out('formats', 'bmp-1bit.bmp'), 'wb').write(bmp_file(w, H, 1, rows1, [(0, 0, 0), (255, 255, 255)]))
    a = alpha8(xx, yy).astype(np.uint32)
    px32 = (a << 24) | (c[0].astype(np.uint32) << 16) | (c[1].astype(np.uint32) << 8) | c[2].astype(np.uint32)
    rows32 = [px32[r].astype('<u4').tobytes() for r in range(H)]
    open(out('formats', 'bmp-rgba32.bmp'), 'wb').write(
        bmp_file(w, H, 32, rows32, header='v4', compression=3,
                 masks=(0x00FF0000, 0x0000FF00, 0x000000FF, 0xFF000000), top_down=True))
    r5, g6, b5 = (c[0] >> 3).astype(np.uint16), (c[1] >> 2).astype(np.uint16), (c[2] >> 3).astype(np.uint16)
    px16 = (r5 << 11) | (g6 << 5) | b5
    rows16 = [px16[r].astype('<u2').tobytes() for r in range(H)]
    open(out('formats', 'bmp-rgb565.bmp'), 'wb').write(
        bmp_file(w, H, 16, rows16, compression=3, masks=(0xF800, 0x07E0, 0x001F)))


# ---------------------------------------------------------------- TIFF (hand-written baseline + tiffcp)
def tiff_file(arr, big_endian=False, photometric=None):
    """Uncompressed single-strip TIFF of arr (H, W) or (H, W, 3), uint8 or uint16."""
    e = '>' if big_endian else '<'
    h, w = arr.shape[:2]
    spp = 1 if arr.ndim == 2 else arr.shape[2]
    bps = arr.dtype.itemsize * 8
    data = arr.astype(e + ('u2' if bps == 16 else 'u1')).tobytes()
    if photometric is None:
        photometric = 2 if spp == 3 else 1
    entries = []
    extra = b''
    header_len = 8
    n_tags = 10
    ifd_len = 2 + n_tags * 12 + 4
    extra_off = header_len + ifd_len
    if spp == 3:
        bps_val = struct.pack(e + 'I', extra_off)
        extra += struct.pack(e + 'HHH', bps, bps, bps)
        extra += b'\x00\x00'
    data_off = extra_off + len(extra)

    def ent(tag, typ, count, value):
        return struct.pack(e + 'HHI', tag, typ, count) + value

    def short(v):
        return struct.pack(e + 'HH', v, 0)

    def long_(v):
        return struct.pack(e + 'I', v)

    entries.append(ent(256, 3, 1, short(w)))
    entries.append(ent(257, 3, 1, short(h)))
    entries.append(ent(258, 3, spp, bps_val if spp == 3 else short(bps)))
    entries.append(ent(259, 3, 1, short(1)))
    entries.append(ent(262, 3, 1, short(photometric)))
    entries.append(ent(273, 4, 1, long_(data_off)))
    entries.append(ent(277, 3, 1, short(spp)))
    entries.append(ent(278, 3, 1, short(h)))
    entries.append(ent(279, 4, 1, long_(len(data))))
    entries.append(ent(284, 3, 1, short(1)))
    assert len(entries) == n_tags
    head = (b'MM\x00\x2a' if big_endian else b'II\x2a\x00') + struct.pack(e + 'I', 8)
    ifd = struct.pack(e + 'H', n_tags) + b''.join(entries) + struct.pack(e + 'I', 0)
    return head + ifd + extra + data


def make_tiff(tmp):
    open(out('formats', 'tiff-gray8.tif'), 'wb').write(tiff_file(gray(hash8)))
    open(out('formats', 'tiff-gray16-be.tif'), 'wb').write(tiff_file(gray(hash16, dtype=np.uint16), big_endian=True))
    open(out('formats', 'tiff-gray8-miniswhite.tif'), 'wb').write(tiff_file(gray(hash8), photometric=0))
    src = os.path.join(tmp, 'g8.tif')
    open(src, 'wb').write(tiff_file(gray(hash8)))
    run('tiffcp', '-c', 'packbits', src, out('formats', 'tiff-gray8-packbits.tif'))
    src = os.path.join(tmp, 'rgb8.tif')
    open(src, 'wb').write(tiff_file(rgb(hash8)))
    run('tiffcp', '-c', 'lzw:2', '-r', '4', src, out('formats', 'tiff-rgb8-lzw.tif'))
    src = os.path.join(tmp, 'rgb16.tif')
    open(src, 'wb').write(tiff_file(rgb(hash16, dtype=np.uint16)))
    run('tiffcp', '-c', 'zip:2', src, out('formats', 'tiff-rgb16-zip.tif'))


# ---------------------------------------------------------------- DICOM
def dicom(path, frames, bits_allocated=16, bits_stored=None, signed=False, photometric='MONOCHROME2',
          planar=0, **tags):
    """frames: array (F, H, W) or (F, H, W, 3), or (H, W[, 3]) for one frame. Written as explicit VR LE."""
    arr = np.asarray(frames)
    color = photometric in ('RGB', 'YBR_FULL')
    if arr.ndim == (3 if color else 2):
        arr = arr[None]
    nf, h, w = arr.shape[:3]
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = '1.2.840.10008.5.1.4.1.1.7'  # Secondary Capture
    meta.MediaStorageSOPInstanceUID = generate_uid(entropy_srcs=[path])
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = '1.2.826.0.1.3680043.8.498.1'
    ds = FileDataset(path, {}, file_meta=meta, preamble=b'\x00' * 128)
    ds.is_little_endian = True
    ds.is_implicit_VR = False
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = generate_uid(entropy_srcs=[path, 'study'])
    ds.SeriesInstanceUID = generate_uid(entropy_srcs=[path, 'series'])
    ds.Modality = 'OT'
    ds.PatientName = 'Fixture^Synthetic'
    ds.PatientID = 'SYNTH0001'
    ds.Rows, ds.Columns = h, w
    ds.SamplesPerPixel = 3 if color else 1
    ds.PhotometricInterpretation = photometric
    if color:
        ds.PlanarConfiguration = planar
    if nf > 1:
        ds.NumberOfFrames = nf
    ds.BitsAllocated = bits_allocated
    ds.BitsStored = bits_stored or bits_allocated
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = 1 if signed else 0
    for k, v in tags.items():
        setattr(ds, k, v)
    dt = ('<i' if signed else '<u') + str(bits_allocated // 8)
    if color and planar == 1:
        arr = np.transpose(arr, (0, 3, 1, 2))
    raw = arr.astype(dt).tobytes()
    if len(raw) % 2:
        raw += b'\x00'
    ds.PixelData = raw
    ds['PixelData'].VR = 'OW' if bits_allocated > 8 else 'OB'
    ds.save_as(path, write_like_original=False)
    return path


def check_lossless(path, expected, bits_stored=None):
    ds = pydicom.dcmread(path)
    got = ds.pixel_array
    exp = np.asarray(expected)
    if bits_stored and ds.PixelRepresentation == 0:
        got = got & ((1 << bits_stored) - 1)
    if not np.array_equal(got.reshape(exp.shape), exp):
        sys.exit('fixture %s does not decode back to its pattern' % path)


def ts_of(path):
    return str(pydicom.dcmread(path, stop_before_pixels=True).file_meta.TransferSyntaxUID)


def make_dicom(tmp):
    d = lambda name: out('dicom', name)
    g12 = gray(hash12, dtype=np.uint16)
    win12 = dict(WindowCenter=2048, WindowWidth=4096)
    base = dicom(d('ts-explicit-le.dcm'), g12, 16, 12, **win12)
    run('dcmconv', '+ti', base, d('ts-implicit-le.dcm'))
    run('dcmconv', '+tb', base, d('ts-explicit-be.dcm'))
    run('dcmconv', '+td', base, d('ts-deflated.dcm'))
    run('dcmcrle', base, d('ts-rle.dcm'))
    run('dcmcjpeg', '+e1', base, d('ts-jpeg-lossless-sv1.dcm'))
    run('dcmcjpeg', '+el', '+sv', '6', base, d('ts-jpeg-lossless-sv6.dcm'))
    run('dcmcjpls', base, d('ts-jpegls-lossless.dcm'))
    run('dcmcjpls', '+en', '+md', '2', base, d('ts-jpegls-near.dcm'))
    run('gdcmconv', '--j2k', base, d('ts-j2k-lossless.dcm'))
    for name in ['ts-implicit-le', 'ts-explicit-be', 'ts-deflated', 'ts-rle', 'ts-jpeg-lossless-sv1',
                 'ts-jpeg-lossless-sv6', 'ts-jpegls-lossless', 'ts-j2k-lossless']:
        check_lossless(d(name + '.dcm'), g12)
    shutil.copy(base, d('IM000001'))  # no extension: found by the DICM marker

    s12 = gray(smooth12, dtype=np.uint16)
    lossy_src = dicom(os.path.join(tmp, 's12.dcm'), s12, 16, 12, **win12)
    run('gdcmconv', '--j2k', '--lossy', '-q', '50', lossy_src, d('ts-j2k-lossy.dcm'))
    run('dcmcjpeg', '+ee', lossy_src, d('ts-jpeg-extended-12bit.dcm'))

    s8 = dicom(os.path.join(tmp, 's8.dcm'), gray(smooth8), 8, 8, WindowCenter=128, WindowWidth=256)
    run('dcmcjpeg', '+eb', '+q', '95', s8, d('ts-jpeg-baseline.dcm'))

    # 64 x 48 JPEG-LS split into 1 KiB fragments: one frame spread over several fragments
    big = gray(hash12, w=64, h=48, dtype=np.uint16)
    bsrc = dicom(os.path.join(tmp, 'big.dcm'), big, 16, 12, **win12)
    run('dcmcjpls', '+fs', '1', bsrc, d('ts-jpegls-fragments.dcm'))
    check_lossless(d('ts-jpegls-fragments.dcm'), big)

    # unsupported transfer syntax: the J2K file relabelled as HTJ2K lossless
    # (pydicom 2.3 does not know that UID, so the meta element is patched in the bytes)
    raw = bytearray(open(d('ts-j2k-lossless.dcm'), 'rb').read())
    old_el = b'\x02\x00\x10\x00UI\x16\x001.2.840.10008.1.2.4.90'
    new_el = b'\x02\x00\x10\x00UI\x18\x001.2.840.10008.1.2.4.201\x00'
    i = raw.index(old_el)
    raw[i:i + len(old_el)] = new_el
    g = raw.index(b'\x02\x00\x00\x00UL\x04\x00') + 8
    raw[g:g + 4] = struct.pack('<I', struct.unpack('<I', raw[g:g + 4])[0] + 2)
    open(d('ts-htj2k-unsupported.dcm'), 'wb').write(bytes(raw))
    assert ts_of(d('ts-htj2k-unsupported.dcm')) == '1.2.840.10008.1.2.4.201'

    # colour
    c8 = rgb(hash8)
    rgb_base = dicom(d('rgb-explicit-le.dcm'), c8, 8, 8, photometric='RGB', planar=0)
    dicom(d('rgb-planar.dcm'), c8, 8, 8, photometric='RGB', planar=1)
    run('dcmcrle', rgb_base, d('rgb-rle.dcm'))
    run('dcmcjpls', rgb_base, d('rgb-jpegls.dcm'))
    run('dcmcjpeg', '+e1', rgb_base, d('rgb-jpeg-lossless.dcm'))
    run('gdcmconv', '--j2k', rgb_base, d('rgb-j2k.dcm'))
    run('dcmcjpls', '+in', rgb_base, d('rgb-jpegls-planar.dcm'))  # interleave mode none: colour planes
    for name in ['rgb-planar', 'rgb-rle', 'rgb-jpegls', 'rgb-jpegls-planar', 'rgb-jpeg-lossless', 'rgb-j2k']:
        check_lossless(d(name + '.dcm'), c8)
    ybr = pydicom.pixel_data_handlers.util.convert_color_space(c8, 'RGB', 'YBR_FULL')
    dicom(d('ybr-full.dcm'), ybr, 8, 8, photometric='YBR_FULL')
    sm = dicom(os.path.join(tmp, 'srgb.dcm'), rgb(smooth8), 8, 8, photometric='RGB')
    run('dcmcjpeg', '+eb', '+q', '95', sm, d('rgb-jpeg-baseline.dcm'))

    # value transforms (all explicit VR LE, 16 x 12)
    ct = (X * 60 + Y * 40 - 200).astype(np.int16)
    dicom(d('ct-rescale-window.dcm'), ct, 16, 12, signed=True, RescaleSlope=2, RescaleIntercept=-1024,
          WindowCenter=[40, 300], WindowWidth=[400, 1500])
    m1 = (X * 50 + Y * 20).astype(np.uint16)
    dicom(d('mono1-window.dcm'), m1, 16, 10, photometric='MONOCHROME1', WindowCenter=500, WindowWidth=1000)
    dicom(d('mono1-minmax.dcm'), m1, 16, 10, photometric='MONOCHROME1')
    dicom(d('voi-sigmoid.dcm'), m1, 16, 10, WindowCenter=500, WindowWidth=1000, VOILUTFunction='SIGMOID')
    dicom(d('voi-linear-exact.dcm'), m1, 16, 10, WindowCenter=500, WindowWidth=1000,
          VOILUTFunction='LINEAR_EXACT')
    dicom(d('gray-minmax.dcm'), g12, 16, 12)
    noisy = g12 | np.where((X + Y) % 3 == 0, 0xF000, 0).astype(np.uint16)
    dicom(d('bits12-highbits.dcm'), noisy, 16, 12, **win12)

    # multi-frame: frame k holds 100 k + 10 x + y (8 x 6), no window: min-max over the whole file
    xx, yy = np.meshgrid(np.arange(8), np.arange(6))
    mf = np.stack([100 * k + 10 * xx + yy for k in range(3)]).astype(np.uint16)
    mf_path = dicom(d('multiframe.dcm'), mf, 16, 16)
    run('dcmcrle', mf_path, d('multiframe-rle.dcm'))
    run('dcmcjpls', '-ot', mf_path, d('multiframe-jpegls-nobot.dcm'))
    check_lossless(d('multiframe-rle.dcm'), mf)
    check_lossless(d('multiframe-jpegls-nobot.dcm'), mf)

    # enhanced multi-frame: rescale in the shared functional group, a VOI window per frame
    ef = np.stack([10 * xx + yy, 10 * xx + yy + 100]).astype(np.uint16)
    path = d('multiframe-enhanced.dcm')
    dicom(path, ef, 16, 16)
    ds = pydicom.dcmread(path)
    pvt = Dataset()
    pvt.RescaleSlope, pvt.RescaleIntercept, pvt.RescaleType = 2, -100, 'US'
    shared = Dataset()
    shared.PixelValueTransformationSequence = [pvt]
    ds.SharedFunctionalGroupsSequence = [shared]
    per = []
    for c, w in [(0, 100), (150, 200)]:
        voi = Dataset()
        voi.WindowCenter, voi.WindowWidth = c, w
        g = Dataset()
        g.FrameVOILUTSequence = [voi]
        per.append(g)
    ds.PerFrameFunctionalGroupsSequence = per
    ds.save_as(path, write_like_original=False)

    # DICOM without pixel data, and one whose header claims a huge image
    ds = pydicom.dcmread(base)
    del ds.PixelData
    ds.save_as(d('no-pixels.dcm'), write_like_original=False)
    ds = pydicom.dcmread(base)
    ds.Rows, ds.Columns = 40000, 40000
    ds.save_as(d('huge.dcm'), write_like_original=False)

    tss = {}
    for f in sorted(os.listdir(os.path.join(ROOT, 'dicom'))):
        tss[f] = ts_of(os.path.join(ROOT, 'dicom', f))
    return tss


# ---------------------------------------------------------------- bad files
def make_bad(rgb8_png):
    b = lambda name: out('bad', name)
    open(b('empty.png'), 'wb').close()
    open(b('truncated.png'), 'wb').write(rgb8_png[: len(rgb8_png) // 2])
    open(b('text.png'), 'wb').write(b'this is a text file, not an image\n')
    open(b('png-as.jpg'), 'wb').write(rgb8_png)
    corrupt = bytearray(rgb8_png)
    i = corrupt.index(b'IDAT') + 4
    for k in range(i + 2, i + 40):
        corrupt[k] ^= 0x5A
    open(b('corrupt.png'), 'wb').write(bytes(corrupt))
    jpg = open(out('formats', 'jpeg-baseline.jpg'), 'rb').read()
    open(b('truncated.jpg'), 'wb').write(jpg[: len(jpg) // 2])
    dcm = open(out('dicom', 'ts-explicit-le.dcm'), 'rb').read()
    open(b('truncated.dcm'), 'wb').write(dcm[: len(dcm) - 200])
    rows = [b'\x00' * 3] * 1
    huge = png_bytes(rows, 1, 1, 8, 2)
    huge = bytearray(huge)
    ihdr = struct.pack('>IIBBBBB', 20000, 20000, 8, 2, 0, 0, 0)
    huge[16:29] = ihdr
    huge[29:33] = struct.pack('>I', zlib.crc32(b'IHDR' + ihdr) & 0xFFFFFFFF)
    open(b('huge.png'), 'wb').write(bytes(huge))
    open(b('random.bin'), 'wb').write(bytes((i * 73 + 11) % 256 for i in range(300)))


# ---------------------------------------------------------------- preprocessing references
def area_matrix(n_in, n_out):
    """Row o: overlap of input pixel i with the footprint [o s, (o+1) s), s = n_in / n_out, divided by s."""
    s = n_in / n_out
    m = np.zeros((n_out, n_in))
    for o in range(n_out):
        a, b = o * s, (o + 1) * s
        for i in range(n_in):
            m[o, i] = max(0.0, min(b, i + 1) - max(a, i)) / s
    return m


def resize_area(img, oh, ow):
    ih, iw = img.shape[:2]
    my, mx = area_matrix(ih, oh), area_matrix(iw, ow)
    if img.ndim == 2:
        return my @ img @ mx.T
    return np.stack([my @ img[:, :, c] @ mx.T for c in range(img.shape[2])], -1)


def tf_bilinear(img, oh, ow):
    """TF resizeBilinear(alignCorners=false, halfPixelCenters=true) written out."""
    ih, iw = img.shape[:2]

    def coords(n_in, n_out):
        src = (np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5
        lo = np.maximum(0, np.floor(src)).astype(int)
        hi = np.minimum(n_in - 1, np.ceil(src)).astype(int)
        return lo, hi, src - lo
    y0, y1, fy = coords(ih, oh)
    x0, x1, fx = coords(iw, ow)
    a = img if img.ndim == 3 else img[:, :, None]
    top = a[y0][:, x0] + (a[y0][:, x1] - a[y0][:, x0]) * fx[None, :, None]
    bot = a[y1][:, x0] + (a[y1][:, x1] - a[y1][:, x0]) * fx[None, :, None]
    r = top + (bot - top) * fy[:, None, None]
    return r if img.ndim == 3 else r[:, :, 0]


def resize_bilinear(img, oh, ow):
    ih, iw = img.shape[:2]
    zoom = (oh / ih, ow / iw) + ((1,) if img.ndim == 3 else ())
    r = scipy.ndimage.zoom(img, zoom, order=1, mode='nearest', grid_mode=True)
    assert r.shape[:2] == (oh, ow), (r.shape, oh, ow)
    ref = tf_bilinear(img, oh, ow)
    assert np.allclose(r, ref, atol=1e-9), 'scipy zoom and the TF formula disagree'
    return r


def luminance(img):
    return img if img.ndim == 2 else img[:, :, 0] * 0.299 + img[:, :, 1] * 0.587 + img[:, :, 2] * 0.114


def to_channels(img, channels):
    if channels == 1:
        return luminance(img)
    return img if img.ndim == 3 else np.stack([img] * 3, -1)


def preprocess(img, size, channels, aspect, filt):
    img = to_channels(img, channels)
    rs = resize_bilinear if filt == 'bilinear' else resize_area
    ih, iw = img.shape[:2]
    if aspect == 'stretch':
        r = rs(img, size, size)
    else:
        scale = size / max(ih, iw)
        nh, nw = max(1, int(np.floor(ih * scale + 0.5))), max(1, int(np.floor(iw * scale + 0.5)))
        inner = rs(img, nh, nw)
        r = np.zeros((size, size) + img.shape[2:])
        oy, ox = (size - nh) // 2, (size - nw) // 2
        r[oy:oy + nh, ox:ox + nw] = inner
    return r


def make_preprocess_reference():
    rng = np.random.default_rng(20240601)
    inputs = {
        'gray7x5': rng.random((5, 7)),
        'rgb9x6': rng.random((6, 9, 3)),
        'gray4x4': rng.random((4, 4)),
        'gray12x8': rng.random((8, 12)),
    }
    # PIL BOX equals the exact area filter when the scale is an integer: check the matrix against it
    for arr, (oh, ow) in [(inputs['gray12x8'], (4, 6)), (inputs['gray4x4'], (2, 2))]:
        pil = np.asarray(Image.fromarray(arr.astype(np.float32), 'F').resize((ow, oh), Image.BOX))
        assert np.allclose(pil, resize_area(arr, oh, ow), atol=1e-5), 'area matrix disagrees with PIL BOX'
    cases = []
    for name, arr in inputs.items():
        for size in (3, 4, 11):
            for channels in (1, 3):
                for aspect in ('stretch', 'pad'):
                    for filt in ('bilinear', 'area'):
                        r = preprocess(arr, size, channels, aspect, filt)
                        cases.append(dict(input=name, size=size, channels=channels, aspect=aspect, filter=filt,
                                          output=np.asarray(r, dtype=np.float64).reshape(-1).round(9).tolist()))
    gray8 = []
    for name, arr in inputs.items():
        for size in (3, 8):
            g = resize_area(luminance(arr), size, size)
            gray8.append(dict(input=name, size=size,
                              output=np.floor(g * 255 + 0.5).clip(0, 255).astype(int).reshape(-1).tolist()))
    thumbs = []
    for name, arr in inputs.items():
        for max_side in (4, 96):
            ih, iw = arr.shape[:2]
            scale = min(1.0, max_side / max(ih, iw))
            th, tw = max(1, int(np.floor(ih * scale + 0.5))), max(1, int(np.floor(iw * scale + 0.5)))
            t = resize_area(arr, th, tw)
            thumbs.append(dict(input=name, maxSide=max_side, width=tw, height=th,
                               channels=1 if arr.ndim == 2 else 3,
                               output=np.floor(t * 255 + 0.5).clip(0, 255).astype(int).reshape(-1).tolist()))
    ref = dict(
        generator='scripts/make-image-fixtures.py',
        inputs={k: dict(height=v.shape[0], width=v.shape[1], channels=1 if v.ndim == 2 else 3,
                        data=np.asarray(v, dtype=np.float32).astype(np.float64).reshape(-1).tolist())
                for k, v in inputs.items()},
        preprocess=cases, gray8=gray8, thumbnail=thumbs)
    # the inputs are stored as float32 (what a DecodedImage holds); recompute the references from those
    for k in inputs:
        inputs[k] = np.asarray(inputs[k], dtype=np.float32).astype(np.float64)
    for c in cases:
        c['output'] = np.asarray(preprocess(inputs[c['input']], c['size'], c['channels'], c['aspect'],
                                            c['filter'])).reshape(-1).round(9).tolist()
    for g in gray8:
        v = resize_area(luminance(inputs[g['input']]), g['size'], g['size'])
        g['output'] = np.floor(v * 255 + 0.5).clip(0, 255).astype(int).reshape(-1).tolist()
    for t in thumbs:
        v = resize_area(inputs[t['input']], t['height'], t['width'])
        t['output'] = np.floor(v * 255 + 0.5).clip(0, 255).astype(int).reshape(-1).tolist()
    with open(os.path.join(ROOT, 'preprocess-reference.json'), 'w') as f:
        json.dump(ref, f, separators=(',', ':'))
        f.write('\n')


def make_lossy_reference():
    """Pixels of the lossy fixtures as decoded by libjpeg-turbo / libwebp (PIL) and gdcm (pydicom)."""
    ref = {}
    for name in ('jpeg-baseline.jpg', 'jpeg-progressive.jpg', 'jpeg-gray.jpg', 'webp-lossy.webp'):
        a = np.asarray(Image.open(out('formats', name)).convert('L' if 'gray' in name else 'RGB'))
        ref['formats/' + name] = dict(decoder='PIL ' + Image.__version__, shape=list(a.shape),
                                      data=a.reshape(-1).astype(int).tolist())
    for name in ('ts-jpeg-baseline.dcm', 'rgb-jpeg-baseline.dcm', 'ts-j2k-lossy.dcm', 'ts-jpegls-near.dcm'):
        ds = pydicom.dcmread(out('dicom', name))
        a = ds.pixel_array
        if ds.SamplesPerPixel == 3 and ds.PhotometricInterpretation.startswith('YBR'):
            a = pydicom.pixel_data_handlers.util.convert_color_space(a, ds.PhotometricInterpretation, 'RGB')
        ref['dicom/' + name] = dict(decoder='pydicom %s + gdcm' % pydicom.__version__, shape=list(a.shape),
                                    stored=a.reshape(-1).astype(int).tolist(),
                                    window=[float(ds.get('WindowCenter', 0)), float(ds.get('WindowWidth', 0))])
    with open(os.path.join(ROOT, 'lossy-reference.json'), 'w') as f:
        json.dump(ref, f, separators=(',', ':'))
        f.write('\n')


def main():
    if os.path.isdir(ROOT):
        for sub in ('formats', 'dicom', 'bad'):
            shutil.rmtree(os.path.join(ROOT, sub), ignore_errors=True)
    os.makedirs(ROOT, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        rgb8 = make_png()
        make_pil()
        make_bmp()
        make_tiff(tmp)
        tss = make_dicom(tmp)
        make_bad(rgb8)
    make_preprocess_reference()
    make_lossy_reference()
    with open(os.path.join(ROOT, 'dicom-transfer-syntaxes.json'), 'w') as f:
        json.dump(tss, f, indent=1, sort_keys=True)
        f.write('\n')
    total = 0
    for dp, _, fs in os.walk(ROOT):
        total += sum(os.path.getsize(os.path.join(dp, f)) for f in fs)
    print('fixtures written to %s (%d bytes)' % (ROOT, total))


if __name__ == '__main__':
    main()
