"""Responsive renditions of an uploaded photo: pure functions over bytes, no Django, no S3.

One decode per photo: a JPEG is decoded straight at reduced size (DCT scaling through
``Image.draft``), reduced once to the largest width needed, converted to untagged sRGB,
oriented, and the smaller widths are derived from that. Every output is encoded without
metadata (no EXIF, GPS, XMP, comments or ICC profile): browsers read untagged images as sRGB.

Pillow is imported by the functions that use it, not with this module: the models, the admin and
the upload API import this module's names in every process of both services, and Pillow (~10 ms)
is needed only by the first photo inspected or rendered (cold start, issue 14).
"""

from __future__ import annotations

import re
import struct
import warnings
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from typing import TYPE_CHECKING, BinaryIO, cast

if TYPE_CHECKING:
    from PIL import Image, ImageCms

WIDTHS = (320, 640, 1280)
FORMATS = {"webp": "image/webp", "jpeg": "image/jpeg"}

# Pillow format name -> MIME type of the uploads we take. MPO is how Pillow names a JPEG that
# carries extra pictures (phones and cameras add depth or gain maps): to browsers it is image/jpeg.
# HEIF/AVIF would need a plugin that is not installed; BMP, PSD, ICO and the rest are refused so that
# their decoders, a common source of Pillow advisories, never see untrusted bytes.
ACCEPTED_TYPES = {
    "JPEG": "image/jpeg",
    "MPO": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
    "TIFF": "image/tiff",
}
# The plugins Image.open may try. MPO has none of its own: the JPEG plugin returns it.
_OPEN_FORMATS = [name for name in ACCEPTED_TYPES if name != "MPO"]

# Below Pillow's own DecompressionBombWarning threshold (about 89.5 MP), so that our check with its
# clear reason speaks first; Pillow's warning (made an error here) and DecompressionBombError stay as
# a backstop for sizes only found while decoding (GIF frames, TIFF tiles). 80 MP is more than any
# camera or phone panorama we expect, and a 80 MP RGBA decode is ~320 MB, which a Lambda can hold.
MAX_PIXELS = 80_000_000

JPEG_OPTIONS = {"quality": 82, "progressive": True, "optimize": True}
# method=4 is libwebp's default: on 1280 px photos method 2 encodes ~3x faster but is ~8% larger,
# and methods 5-6 cost 5-25% more time for a gain that depends on the picture (see benchmarks/).
WEBP_OPTIONS = {"quality": 80, "method": 4}

# Resizing from a much larger decode first reduces by an integer factor (box filter), then
# Lanczos over the last >= 3x: indistinguishable from plain Lanczos and much faster.
REDUCING_GAP = 3.0

_WHITE = (255, 255, 255)

# EXIF orientation -> the transpose that shows the picture upright (EXIF 2.3, tag 0x0112), by its
# name in Pillow's Image.Transpose.
_ORIENTATION = {
    2: "FLIP_LEFT_RIGHT",
    3: "ROTATE_180",
    4: "FLIP_TOP_BOTTOM",
    5: "TRANSPOSE",
    6: "ROTATE_270",
    7: "TRANSVERSE",
    8: "ROTATE_90",
}
_SWAPS_AXES = {5, 6, 7, 8}

# What Pillow's decoders raise on damaged or hostile input. Catching these (and not Exception)
# keeps a bug of ours visible as a bug instead of a "rejected image".
_DECODE_ERRORS = (
    OSError,  # includes UnidentifiedImageError and "image file is truncated"
    SyntaxError,  # raised by several plugins for malformed headers
    ValueError,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    struct.error,
    zlib.error,
)


class ImageRejected(Exception):
    """The file cannot become renditions; retrying will not help. ``reason`` is a sentence for people."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SourceInfo:
    """The uploaded image as people see it: dimensions after EXIF orientation."""

    width: int
    height: int
    content_type: str


@dataclass(frozen=True)
class Rendition:
    width: int
    height: int
    format: str  # a key of FORMATS
    content_type: str
    data: bytes


def rendition_name(width: int, format: str) -> str:
    """The file name of a rendition, e.g. ``w640.webp``: deterministic, so re-rendering overwrites."""
    if format not in FORMATS:
        raise ValueError(f"unknown rendition format {format!r}")
    return f"w{width}.{format}"


def target_widths(source_width: int) -> list[int]:
    """The rendition widths for a source, never upscaling: a source narrower than the smallest
    width gets one rendition at its own width."""
    widths = [w for w in WIDTHS if w <= source_width]
    return widths or [source_width]


def inspect_image(fp: BinaryIO) -> SourceInfo:
    """Check that ``fp`` holds an image we accept and can decode, and describe it.

    Reads the header, applies the pixel limit, then decodes (a JPEG at 1/8 scale, which still reads
    every byte of its data) so that a truncated or corrupt file is refused at upload time.
    Raises ImageRejected.
    """
    with _rejecting_bad_images():
        im = _open(fp)
        info, _ = _describe(im)
        _decode(im, draft_size=(1, 1))
    return info


def make_renditions(fp: BinaryIO) -> tuple[SourceInfo, list[Rendition]]:
    """Decode ``fp`` once and return its description and its renditions.

    Renditions come ordered by width, WebP before JPEG at each width, at the widths of
    ``target_widths``; heights keep the proportions of the oriented source. Raises ImageRejected.
    """
    from PIL import Image  # Pillow loads with the first photo (module docstring)

    with _rejecting_bad_images():
        im = _open(fp)
        info, orientation = _describe(im)
        sizes = [(width, _height_for(width, info)) for width in target_widths(info.width)]
        # Decoding and resizing happen in the file's stored orientation; we turn the small result.
        largest = sizes[-1]
        stored_size = (largest[1], largest[0]) if orientation in _SWAPS_AXES else largest
        _decode(im, draft_size=stored_size)
        icc_profile = im.info.get("icc_profile")
        base = _resize(_to_resizable_mode(im), stored_size, reducing_gap=REDUCING_GAP)
        del im  # the decoded frame is the largest buffer we hold: let it go before encoding
    base = _to_srgb(base, icc_profile)
    if orientation in _ORIENTATION:
        base = base.transpose(Image.Transpose[_ORIENTATION[orientation]])
    base = _drop_opaque_alpha(base)
    # Nothing from the source's info (EXIF, comments, ICC, XMP) may reach an encoder.
    base.info = {}
    images = [base.resize(size, Image.Resampling.LANCZOS) for size in sizes[:-1]] + [base]
    return info, _encode_all(images)


# --- opening and decoding -------------------------------------------------------------------


@contextmanager
def _rejecting_bad_images() -> Iterator[None]:
    """Turn Pillow's decompression-bomb warning into an error, and every decoding failure into
    ImageRejected with a reason people can read.

    ``warnings.catch_warnings`` changes process-wide state: in a threaded dev server two concurrent
    calls may restore each other's filter early, which leaves MAX_PIXELS as the guard.
    """
    from PIL import Image, UnidentifiedImageError  # Pillow loads with the first photo (module docstring)

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            yield
        except ImageRejected:
            raise
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
            raise ImageRejected(_bomb_reason(_pixels_in_message(str(exc)))) from exc
        except UnidentifiedImageError as exc:
            raise ImageRejected("The file is not a JPEG, PNG, WebP, GIF or TIFF image that Pillow can read.") from exc
        except MemoryError as exc:
            raise ImageRejected("The image is too large to process in the memory available.") from exc
        except _DECODE_ERRORS as exc:
            raise ImageRejected(f"The image data is corrupt or truncated ({exc}).") from exc


def _open(fp: BinaryIO) -> Image.Image:
    """Read the header only; Pillow decodes nothing until load()."""
    from PIL import Image  # Pillow loads with the first photo (module docstring)

    im = Image.open(fp, formats=_OPEN_FORMATS)
    if im.format not in ACCEPTED_TYPES:  # a plugin's factory may hand back another format
        raise ImageRejected(f"Images in {im.format} format are not accepted.")
    if im.width < 1 or im.height < 1:
        raise ImageRejected("The image has no pixels.")
    pixels = im.width * im.height
    if pixels > MAX_PIXELS:
        raise ImageRejected(_bomb_reason(pixels))
    return im


def _bomb_reason(pixels: int | None) -> str:
    size = f"{pixels:,} pixels" if pixels is not None else "too many pixels"
    return f"The image is too large to process safely (decompression bomb: {size}; the limit is {MAX_PIXELS:,} pixels)."


def _pixels_in_message(message: str) -> int | None:
    match = re.search(r"\((\d+) pixels\)", message)
    return int(match.group(1)) if match else None


def _orientation(im: Image.Image) -> int:
    """The EXIF orientation left for us to apply (1 = upright as decoded)."""
    from PIL import ExifTags  # Pillow loads with the first photo (module docstring)

    if im.format == "TIFF":
        # Pillow's TIFF plugin applies the tag itself: open() reports the upright size, load() turns.
        return 1
    try:
        value = im.getexif().get(ExifTags.Base.Orientation, 1)
    except _DECODE_ERRORS:
        return 1  # unreadable EXIF must not cost the photo; show it as stored
    return value if isinstance(value, int) else 1


def _describe(im: Image.Image) -> tuple[SourceInfo, int]:
    """The source as people see it, and its EXIF orientation (1 = as stored)."""
    orientation = _orientation(im)
    swapped = orientation in _SWAPS_AXES
    width, height = (im.height, im.width) if swapped else (im.width, im.height)
    assert im.format is not None  # _open checked it
    return SourceInfo(width=width, height=height, content_type=ACCEPTED_TYPES[im.format]), orientation


def _decode(im: Image.Image, *, draft_size: tuple[int, int]) -> None:
    """Decode the first frame; a JPEG at the smallest DCT scale (1/2, 1/4, 1/8) that is still at
    least ``draft_size``, which skips most of the inverse DCT and the memory of a full decode.

    Measured on a 24 MP photo down to 1280 px: a 1/4 decode then Lanczos is within 45.6 dB PSNR of a
    full decode then Lanczos (well under what JPEG q82 itself changes); leaving another 2x for Lanczos,
    as Pillow's thumbnail() does, gains 5 dB and costs ~30% more time, which we do not pay."""
    if im.format in ("JPEG", "MPO"):
        im.draft(None, draft_size)
    im.load()


def _height_for(width: int, info: SourceInfo) -> int:
    return max(1, round(info.height * width / info.width))


# --- pixels ---------------------------------------------------------------------------------


def _to_resizable_mode(im: Image.Image) -> Image.Image:
    """A mode Lanczos can resize without losing the colour space the ICC profile describes:
    RGB, RGBA, L or CMYK. Alpha stays (Pillow premultiplies it while resizing)."""
    mode = im.mode
    if mode in ("RGB", "RGBA", "L", "CMYK"):
        return im
    if mode in ("P", "PA", "1"):
        return im.convert("RGBA" if im.has_transparency_data else "RGB")
    if mode in ("LA", "La", "RGBa"):
        return im.convert("RGBA")
    if mode.startswith("I") or mode == "F":
        return _to_8bit(im)
    # RGBX, YCbCr, and what TIFF can hold (LAB, HSV): Pillow's own conversion; it refuses what it
    # cannot convert with ValueError, which becomes ImageRejected.
    return im.convert("RGB")


def _to_8bit(im: Image.Image) -> Image.Image:
    """Grayscale deeper than 8 bits -> L, scaled rather than clipped: ``convert("L")`` clips every
    16-bit value above 255 to white."""
    if im.mode.startswith("I;16"):
        return im.convert("I").point(lambda v: v / 256, "L")
    # One band (the modes of a grayscale image): (min, max) rather than a pair per band.
    low, high = cast(tuple[float, float], im.getextrema())
    if im.mode == "F" and low >= 0 and high <= 1:
        scale = 255.0  # floating point images usually hold 0..1
    elif high <= 255:
        scale = 1.0
    elif high <= 65535:
        scale = 1 / 256  # 16-bit samples in a 32-bit container (older Pillow, some TIFFs)
    else:
        scale = 255.0 / float(high)
    return im.point(lambda v: v * scale).convert("L")


def _resize(im: Image.Image, size: tuple[int, int], *, reducing_gap: float | None = None) -> Image.Image:
    from PIL import Image  # Pillow loads with the first photo (module docstring)

    if im.size == size:
        return im
    return im.resize(size, Image.Resampling.LANCZOS, reducing_gap=reducing_gap)


def _to_srgb(im: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """Pixels in sRGB, as RGB or RGBA. An embedded profile (Adobe RGB, Display P3, a CMYK press
    profile, a gray gamma) is converted with LittleCMS; a profile that cannot be read or does not
    fit the pixels is ignored, as browsers ignore it, rather than failing the photo."""
    from PIL import ImageCms  # Pillow loads with the first photo (module docstring)

    alpha = im.mode == "RGBA"
    if icc_profile:
        try:
            source = ImageCms.ImageCmsProfile(BytesIO(icc_profile))
            converted = ImageCms.profileToProfile(
                im,
                source,
                _srgb(),
                renderingIntent=ImageCms.Intent.PERCEPTUAL,
                outputMode="RGBA" if alpha else "RGB",
            )
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            converted = None
        if converted is not None:
            return converted
    if im.mode in ("RGB", "RGBA"):
        return im
    return im.convert("RGBA" if alpha else "RGB")


@cache
def _srgb() -> ImageCms.ImageCmsProfile:
    """The sRGB profile renditions are converted to, built once per process."""
    from PIL import ImageCms  # Pillow loads with the first photo (module docstring)

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _drop_opaque_alpha(im: Image.Image) -> Image.Image:
    """An alpha channel that is opaque everywhere only costs bytes."""
    if im.mode == "RGBA" and im.getchannel("A").getextrema() == (255, 255):
        return im.convert("RGB")
    return im


def _flattened_copy(im: Image.Image) -> Image.Image:
    """A new RGB image, on white where ``im`` is transparent: JPEG has no alpha."""
    from PIL import Image  # Pillow loads with the first photo (module docstring)

    if im.mode != "RGBA":
        return im.copy()
    flat = Image.new("RGB", im.size, _WHITE)
    flat.paste(im, mask=im.getchannel("A"))
    return flat


# --- encoding -------------------------------------------------------------------------------


def _encode(im: Image.Image, format: str) -> Rendition:
    buffer = BytesIO()
    im.save(buffer, "WEBP" if format == "webp" else "JPEG", **(WEBP_OPTIONS if format == "webp" else JPEG_OPTIONS))
    return Rendition(
        width=im.width, height=im.height, format=format, content_type=FORMATS[format], data=buffer.getvalue()
    )


def _encode_all(images: list[Image.Image]) -> list[Rendition]:
    """Every image in every format, in that order, encoded two at a time: Pillow's encoders release
    the GIL. The pool is joined before returning, so no work outlives the call (Lambda would freeze it)."""
    # save() keeps its options on the Image object (encoderinfo), so two threads must never save the
    # same object: each JPEG job gets its own (flattened) copy.
    jobs = [job for im in images for job in ((im, "webp"), (_flattened_copy(im), "jpeg"))]
    # Largest first, so that the two workers finish at about the same time.
    order = sorted(range(len(jobs)), key=lambda i: -jobs[i][0].width)
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="renditions") as pool:
        futures = {i: pool.submit(_encode, *jobs[i]) for i in order}
    return [futures[i].result() for i in range(len(jobs))]
