"""The image pipeline of media/renditions.py, on images made here with Pillow (no binary fixtures)."""

import io
import random
import struct
import zlib
from concurrent.futures import Future

import pytest
from PIL import ExifTags, Image, ImageCms, ImageDraw, JpegImagePlugin

from media import renditions
from media.renditions import (
    FORMATS,
    ImageRejected,
    Rendition,
    SourceInfo,
    inspect_image,
    make_renditions,
    rendition_name,
)

RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)


# --- making test images ---------------------------------------------------------------------


def picture(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    """A gradient with a red square in the top-left corner, so orientation and scaling show."""
    im = Image.merge(
        "RGB",
        [
            Image.linear_gradient("L").rotate(90).resize(size),
            Image.linear_gradient("L").resize(size),
            Image.new("L", size, 96),
        ],
    )
    ImageDraw.Draw(im).rectangle((0, 0, size[0] // 4, size[1] // 4), fill=RED)
    return im.convert(mode)


def encode(im: Image.Image, format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    im.save(buffer, format, **options)
    return buffer.getvalue()


def render(data: bytes) -> tuple[SourceInfo, list[Rendition]]:
    return make_renditions(io.BytesIO(data))


def decoded(rendition: Rendition) -> Image.Image:
    im = Image.open(io.BytesIO(rendition.data))
    im.load()
    return im


def by_format(items: list[Rendition], format: str) -> list[Rendition]:
    return [r for r in items if r.format == format]


def close(actual: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 12) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def adobe_rgb_profile() -> bytes:
    """An ICC v2 matrix/TRC display profile with the Adobe RGB (1998) primaries, built byte by byte."""

    def s15f16(value: float) -> bytes:
        return struct.pack(">i", round(value * 65536))

    def xyz(x: float, y: float, z: float) -> bytes:
        return b"XYZ " + bytes(4) + s15f16(x) + s15f16(y) + s15f16(z)

    description = b"Test Adobe RGB (1998)\0"
    gamma_2_2 = b"curv" + bytes(4) + struct.pack(">IH", 1, 563) + bytes(2)  # u8Fixed8 563/256
    tags = {
        b"desc": b"desc" + bytes(4) + struct.pack(">I", len(description)) + description + bytes(8 + 3 + 67),
        b"cprt": b"text" + bytes(4) + b"Test data\0",
        b"wtpt": xyz(0.9642, 1.0, 0.8249),
        b"rXYZ": xyz(0.6097, 0.3111, 0.0195),
        b"gXYZ": xyz(0.2053, 0.6257, 0.0609),
        b"bXYZ": xyz(0.1492, 0.0632, 0.7446),
        b"rTRC": gamma_2_2,
        b"gTRC": gamma_2_2,
        b"bTRC": gamma_2_2,
    }
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for signature, data in tags.items():
        table += signature + struct.pack(">II", offset + len(body), len(data))
        body += data + bytes(-len(data) % 4)
    header = (
        struct.pack(">I", offset + len(body))
        + bytes(4)
        + struct.pack(">I", 0x02100000)
        + b"mntrRGB XYZ "
        + bytes(12)
        + b"acsp"
        + bytes(24)
        + bytes(4)
        + s15f16(0.9642)
        + s15f16(1.0)
        + s15f16(0.8249)
        + bytes(48)
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + body


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` and which holds no pixel data at all."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def exif_with(orientation: int | None = None, gps: bool = False) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestCam"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    if gps:
        position = exif.get_ifd(ExifTags.IFD.GPSInfo)
        position[ExifTags.GPS.GPSLatitudeRef] = "N"
        position[ExifTags.GPS.GPSLatitude] = (51.0, 30.0, 12.0)
        position[ExifTags.GPS.GPSLongitudeRef] = "W"
        position[ExifTags.GPS.GPSLongitude] = (0.0, 7.0, 39.0)
    return exif


# --- sizes and formats ----------------------------------------------------------------------


def test_a_large_jpeg_becomes_three_widths_in_webp_and_jpeg_with_proportional_heights():
    info, items = render(encode(picture((2000, 1500)), "JPEG", quality=90))

    assert info == SourceInfo(width=2000, height=1500, content_type="image/jpeg")
    assert [(r.width, r.height, r.format) for r in items] == [
        (320, 240, "webp"),
        (320, 240, "jpeg"),
        (640, 480, "webp"),
        (640, 480, "jpeg"),
        (1280, 960, "webp"),
        (1280, 960, "jpeg"),
    ]
    for rendition in items:
        im = decoded(rendition)
        assert im.format == rendition.format.upper()
        assert im.size == (rendition.width, rendition.height)
        assert rendition.content_type == FORMATS[rendition.format] == Image.MIME[im.format]


def test_renditions_keep_the_picture_not_just_its_size():
    _, items = render(encode(picture((2000, 1500)), "JPEG", quality=90))

    for rendition in items:
        im = decoded(rendition).convert("RGB")
        assert close(im.getpixel((5, 5)), RED, tolerance=30)  # the red corner, top-left
        assert im.getpixel((im.width - 5, im.height - 5))[0] > 200  # the gradient runs to the right


def test_heights_are_rounded_from_the_source_proportions():
    _, items = render(encode(picture((1000, 333)), "PNG"))

    assert [(r.width, r.height) for r in by_format(items, "jpeg")] == [(320, 107), (640, 213)]


def test_a_source_between_two_widths_is_never_upscaled_to_the_larger_one():
    _, items = render(encode(picture((1000, 750)), "JPEG"))

    assert sorted({r.width for r in items}) == [320, 640]


def test_a_small_image_gets_one_rendition_at_its_own_width_and_is_not_upscaled():
    info, items = render(encode(picture((200, 150)), "PNG"))

    assert info.width == 200
    assert [(r.width, r.height, r.format) for r in items] == [(200, 150, "webp"), (200, 150, "jpeg")]
    assert all(decoded(r).size == (200, 150) for r in items)


def test_an_image_exactly_the_smallest_width_is_kept_at_that_width():
    _, items = render(encode(picture((320, 200)), "JPEG"))

    assert [(r.width, r.height) for r in items] == [(320, 200), (320, 200)]


def test_a_large_jpeg_is_decoded_at_reduced_size_but_never_below_the_largest_width(monkeypatch):
    loaded_sizes = []
    load = JpegImagePlugin.JpegImageFile.load

    def recording_load(self):
        loaded_sizes.append(self.size)
        return load(self)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "load", recording_load)

    render(encode(picture((4000, 3000)), "JPEG"))

    assert set(loaded_sizes) == {(2000, 1500)}  # 1/2 scale: 1/4 would be narrower than 1280


class OneAtATime:
    """A stand-in for ThreadPoolExecutor that runs each job when it is submitted."""

    def __init__(self, *args, **kwargs):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False

    def submit(self, function, *args):
        future = Future()
        future.set_result(function(*args))
        return future


def test_encoding_in_parallel_gives_the_same_bytes_as_one_at_a_time(monkeypatch):
    # Pillow keeps save() options on the Image object: two threads saving one object trade options.
    data = encode(picture((1600, 1200)), "JPEG")
    parallel = [r.data for r in render(data)[1]]

    monkeypatch.setattr(renditions, "ThreadPoolExecutor", OneAtATime)
    serial = [r.data for r in render(data)[1]]

    assert parallel == serial
    assert parallel == [r.data for r in render(data)[1]]  # and the same every time


def test_jpeg_renditions_are_progressive():
    _, items = render(encode(picture((800, 600)), "JPEG"))

    assert all(decoded(r).info.get("progressive") for r in by_format(items, "jpeg"))


def test_rendition_names_say_width_and_format():
    assert rendition_name(640, "webp") == "w640.webp"
    assert rendition_name(320, "jpeg") == "w320.jpeg"
    with pytest.raises(ValueError):
        rendition_name(320, "png")


# --- orientation and metadata ---------------------------------------------------------------


# Where the stored top-left (red) and top-right (blue) corners must appear for each EXIF orientation.
UPRIGHT_CORNERS = {
    1: ("top-left", "top-right"),
    2: ("top-right", "top-left"),
    3: ("bottom-right", "bottom-left"),
    4: ("bottom-left", "bottom-right"),
    5: ("top-left", "bottom-left"),
    6: ("top-right", "bottom-right"),
    7: ("bottom-right", "top-right"),
    8: ("bottom-left", "top-left"),
}


def corner(im: Image.Image, name: str) -> tuple[int, ...]:
    vertical, horizontal = name.split("-")
    x = 5 if horizontal == "left" else im.width - 6
    y = 5 if vertical == "top" else im.height - 6
    return im.convert("RGB").getpixel((x, y))


@pytest.mark.parametrize("orientation", sorted(UPRIGHT_CORNERS))
def test_exif_orientation_turns_the_picture_upright(orientation):
    stored = picture((1600, 1200))
    ImageDraw.Draw(stored).rectangle((1400, 0, 1599, 199), fill=BLUE)
    data = encode(stored, "JPEG", exif=exif_with(orientation=orientation))

    info, items = render(data)

    swapped = orientation >= 5
    assert (info.width, info.height) == ((1200, 1600) if swapped else (1600, 1200))
    assert [r.width for r in by_format(items, "webp")] == ([320, 640] if swapped else [320, 640, 1280])
    red_corner, blue_corner = UPRIGHT_CORNERS[orientation]
    for rendition in items:
        im = decoded(rendition)
        assert close(corner(im, red_corner), RED, tolerance=40)
        assert close(corner(im, blue_corner), BLUE, tolerance=40)


def test_a_tiff_orientation_tag_is_honoured_too():
    data = encode(picture((800, 400)), "TIFF", exif=exif_with(orientation=8))

    info, items = render(data)

    assert (info.width, info.height, info.content_type) == (400, 800, "image/tiff")
    im = decoded(items[-1]).convert("RGB")
    assert im.size == (320, 640)
    assert close(im.getpixel((5, im.height - 5)), RED, tolerance=30)  # 90 degrees anticlockwise: bottom-left


@pytest.mark.parametrize("tagged", [False, True], ids=["untagged", "srgb-profile"])
def test_exif_gps_comments_and_profiles_are_stripped_from_every_rendition(tagged):
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes() if tagged else None
    source = encode(picture((900, 600)), "JPEG", exif=exif_with(gps=True), comment=b"shot at home", icc_profile=profile)
    assert Image.open(io.BytesIO(source)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test means something

    _, items = render(source)

    for rendition in items:
        im = decoded(rendition)
        assert not im.getexif()
        assert not {"exif", "xmp", "comment", "icc_profile"} & set(im.info)
        assert b"Exif" not in rendition.data
        assert b"TestCam" not in rendition.data
        assert b"shot at home" not in rendition.data


# --- colour ---------------------------------------------------------------------------------


def test_a_cmyk_jpeg_comes_out_as_rgb_with_the_right_colour():
    data = encode(Image.new("CMYK", (700, 500), (0, 255, 255, 0)), "JPEG", quality=95)

    _, items = render(data)

    for rendition in items:
        im = decoded(rendition)
        assert im.mode == "RGB"
        assert close(im.getpixel((10, 10)), RED, tolerance=20)


def test_an_adobe_rgb_image_is_converted_to_untagged_srgb():
    profile = adobe_rgb_profile()
    adobe_green = (60, 160, 60)
    expected = ImageCms.profileToProfile(
        Image.new("RGB", (1, 1), adobe_green),
        ImageCms.ImageCmsProfile(io.BytesIO(profile)),
        ImageCms.createProfile("sRGB"),
        outputMode="RGB",
    ).getpixel((0, 0))
    assert not close(expected, adobe_green, tolerance=20)  # the conversion is visible on this colour

    _, items = render(encode(Image.new("RGB", (700, 500), adobe_green), "PNG", icc_profile=profile))

    for rendition in items:
        im = decoded(rendition)
        assert "icc_profile" not in im.info
        assert close(im.convert("RGB").getpixel((10, 10)), expected, tolerance=6)


def test_a_transparent_image_with_a_profile_keeps_its_alpha_through_the_conversion():
    im = Image.new("RGBA", (600, 400), (60, 160, 60, 255))
    ImageDraw.Draw(im).rectangle((300, 0, 599, 399), fill=(60, 160, 60, 0))

    _, items = render(encode(im, "PNG", icc_profile=adobe_rgb_profile()))

    webp, jpeg = decoded(items[0]), decoded(items[1])
    assert (webp.mode, webp.getpixel((5, 5))[3], webp.getpixel((webp.width - 5, 5))[3]) == ("RGBA", 255, 0)
    assert close(jpeg.getpixel((jpeg.width - 5, 5)), WHITE)
    assert not close(jpeg.getpixel((5, 5)), (60, 160, 60), tolerance=20)  # converted, not passed through


def test_an_unreadable_icc_profile_is_ignored_rather_than_failing_the_photo():
    _, items = render(encode(Image.new("RGB", (400, 300), BLUE), "PNG", icc_profile=b"not a profile"))

    assert close(decoded(items[0]).convert("RGB").getpixel((10, 10)), BLUE)


def test_a_palette_png_with_transparency_keeps_alpha_in_webp_and_is_white_in_jpeg():
    im = Image.new("P", (400, 300), 0)
    im.putpalette([*RED, 0, 0, 0])
    ImageDraw.Draw(im).rectangle((200, 0, 399, 299), fill=1)
    data = encode(im, "PNG", transparency=1)

    _, items = render(data)

    webp, jpeg = decoded(by_format(items, "webp")[0]), decoded(by_format(items, "jpeg")[0])
    assert webp.mode == "RGBA"
    assert webp.getpixel((10, 10))[3] == 255
    assert webp.getpixel((webp.width - 10, 10))[3] == 0
    assert close(jpeg.getpixel((10, 10)), RED, tolerance=20)
    assert close(jpeg.getpixel((jpeg.width - 10, 10)), WHITE)


def test_an_rgba_png_is_flattened_on_white_for_jpeg_and_keeps_alpha_in_webp():
    # The transparent half is transparent *black*: dropping alpha instead of flattening shows black.
    im = Image.new("RGBA", (1000, 500), (0, 0, 0, 0))
    ImageDraw.Draw(im).rectangle((0, 0, 499, 499), fill=(*BLUE, 255))
    data = encode(im, "PNG")

    _, items = render(data)

    for rendition in by_format(items, "jpeg"):
        flat = decoded(rendition)
        assert flat.mode == "RGB"
        assert close(flat.getpixel((5, 5)), BLUE, tolerance=20)
        assert close(flat.getpixel((flat.width - 5, 5)), WHITE)
    for rendition in by_format(items, "webp"):
        keeps = decoded(rendition)
        assert keeps.mode == "RGBA"
        assert keeps.getpixel((5, 5))[3] == 255
        assert keeps.getpixel((keeps.width - 5, 5))[3] == 0


def test_an_opaque_rgba_image_loses_its_useless_alpha_channel():
    _, items = render(encode(picture((400, 300), "RGBA"), "PNG"))

    assert decoded(by_format(items, "webp")[0]).mode == "RGB"


def test_a_16_bit_grayscale_png_is_scaled_to_8_bits_not_clipped_to_white():
    ramp = Image.linear_gradient("L").rotate(90).resize((600, 400)).convert("I").point(lambda v: v * 257)
    data = encode(ramp.convert("I;16"), "PNG")
    assert Image.open(io.BytesIO(data)).mode in ("I;16", "I")  # a real 16-bit source

    _, items = render(data)

    im = decoded(by_format(items, "jpeg")[-1]).convert("L")
    dark, middle, bright = (im.getpixel((x, im.height // 2)) for x in (2, im.width // 2, im.width - 3))
    assert dark < 20
    assert 100 < middle < 156
    assert bright > 235


def test_a_grayscale_jpeg_renders_in_both_formats():
    _, items = render(encode(picture((700, 500), "L"), "JPEG"))

    assert len(items) == 4
    assert all(decoded(r).size == (r.width, r.height) for r in items)


def test_an_animated_gif_renders_its_first_frame():
    frames = [Image.new("RGB", (500, 400), colour) for colour in (RED, GREEN, BLUE)]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert Image.open(io.BytesIO(data)).n_frames == 3

    info, items = render(data)

    assert info.content_type == "image/gif"
    for rendition in items:
        assert close(decoded(rendition).convert("RGB").getpixel((10, 10)), RED, tolerance=20)


def test_an_animated_webp_renders_its_first_frame():
    frames = [Image.new("RGB", (500, 400), colour) for colour in (BLUE, RED)]
    data = encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=100)

    _, items = render(data)

    for rendition in items:
        im = decoded(rendition)
        assert getattr(im, "n_frames", 1) == 1
        assert close(im.convert("RGB").getpixel((10, 10)), BLUE, tolerance=20)


def test_a_multi_picture_jpeg_from_a_phone_is_accepted_as_a_jpeg():
    frames = [picture((800, 600)), picture((400, 300))]
    data = encode(frames[0], "MPO", save_all=True, append_images=frames[1:])
    assert Image.open(io.BytesIO(data)).format == "MPO"

    info, items = render(data)

    assert info.content_type == "image/jpeg"
    assert [r.width for r in items] == [320, 320, 640, 640]


# --- refusals -------------------------------------------------------------------------------


def test_a_png_header_claiming_ten_billion_pixels_is_refused_as_a_decompression_bomb():
    data = png_header_only(100_000, 100_000)

    for check in (inspect_image, make_renditions):
        with pytest.raises(ImageRejected) as caught:
            check(io.BytesIO(data))
        assert "decompression bomb" in caught.value.reason
        assert "10,000,000,000 pixels" in caught.value.reason


def test_an_image_over_our_pixel_limit_is_refused_before_it_is_decoded(monkeypatch):
    monkeypatch.setattr(renditions, "MAX_PIXELS", 100_000)

    with pytest.raises(ImageRejected) as caught:
        render(encode(picture((400, 300)), "JPEG"))

    assert "decompression bomb: 120,000 pixels" in caught.value.reason
    assert "limit is 100,000" in caught.value.reason


def test_pillows_own_decompression_bomb_warning_is_refused_too(monkeypatch):
    # Between Pillow's limit and twice it, Pillow only warns; a warning must not let the image through.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100_000)

    with pytest.raises(ImageRejected) as caught:
        render(encode(picture((400, 300)), "PNG"))

    assert "decompression bomb" in caught.value.reason


def test_a_truncated_jpeg_is_refused_as_corrupt():
    data = encode(picture((1200, 900)), "JPEG", quality=95)
    truncated = data[: len(data) // 2]

    for check in (inspect_image, make_renditions):
        with pytest.raises(ImageRejected) as caught:
            check(io.BytesIO(truncated))
        assert "corrupt or truncated" in caught.value.reason


def test_a_truncated_png_is_refused_as_corrupt():
    data = encode(picture((600, 400)), "PNG")

    with pytest.raises(ImageRejected, match="corrupt or truncated"):
        render(data[: len(data) // 2])


def test_random_bytes_are_refused_as_not_an_image():
    noise = random.Random(4096).randbytes(4096)  # noqa: S311 - fixed test data; starts with no image signature

    for check in (inspect_image, make_renditions):
        with pytest.raises(ImageRejected) as caught:
            check(io.BytesIO(noise))
        assert caught.value.reason == "The file is not a JPEG, PNG, WebP, GIF or TIFF image that Pillow can read."
        assert str(caught.value) == caught.value.reason


def test_an_image_in_a_format_we_do_not_accept_is_refused():
    with pytest.raises(ImageRejected, match="not a JPEG, PNG, WebP, GIF or TIFF"):
        inspect_image(io.BytesIO(encode(picture((64, 64)), "BMP")))


# --- inspect_image --------------------------------------------------------------------------


def test_inspect_image_returns_oriented_dimensions_and_the_content_type():
    jpeg = encode(picture((640, 480)), "JPEG", exif=exif_with(orientation=6))
    png = encode(picture((640, 480)), "PNG")
    webp = encode(picture((640, 480)), "WEBP")

    assert inspect_image(io.BytesIO(jpeg)) == SourceInfo(width=480, height=640, content_type="image/jpeg")
    assert inspect_image(io.BytesIO(png)) == SourceInfo(width=640, height=480, content_type="image/png")
    assert inspect_image(io.BytesIO(webp)) == SourceInfo(width=640, height=480, content_type="image/webp")


def test_inspect_image_and_make_renditions_describe_the_source_alike():
    data = encode(picture((1500, 1000)), "JPEG", exif=exif_with(orientation=8))

    info, _ = render(data)

    assert inspect_image(io.BytesIO(data)) == info
