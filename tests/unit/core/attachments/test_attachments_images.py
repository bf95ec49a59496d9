"""What a server is sent for an image (image_for_sending), thumbnails, the cheap upright size and
the token estimate, checked on real images: sizes, formats, and which way the pixels face."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from PIL import Image
from tests.support import attachment_files as files

from kibitz.core.attachments.images import (
    estimate_image_tokens,
    image_for_sending,
    image_size,
    thumbnail_png,
)
from kibitz.core.errors import AttachmentError

MB = 1024 * 1024

# Each EXIF orientation, and the corners' colours of a `files.quadrants` picture as a viewer
# that honours the tag shows it (worked out from the EXIF definitions, not from Pillow):
# top left, top right, bottom left, bottom right.
UPRIGHT = {
    1: ("red", "green", "blue", "yellow"),
    2: ("green", "red", "yellow", "blue"),  # mirrored left to right
    3: ("yellow", "blue", "green", "red"),  # half a turn
    4: ("blue", "yellow", "red", "green"),  # mirrored top to bottom
    5: ("red", "blue", "green", "yellow"),  # mirrored along the main diagonal
    6: ("blue", "red", "yellow", "green"),  # stored a quarter turn anticlockwise
    7: ("yellow", "green", "blue", "red"),  # mirrored along the other diagonal
    8: ("green", "yellow", "red", "blue"),  # stored a quarter turn clockwise
}


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def orientation_of(data: bytes) -> Any:
    return opened(data).getexif().get(files.ORIENTATION_TAG)


# -- returned unchanged ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "mime"),
    [
        (lambda: files.png(None, 300, 200), "image/png"),
        (lambda: files.png(None, 300, 200, alpha=True), "image/png"),
        (lambda: files.jpeg_with_orientation(300, 200, None), "image/jpeg"),
        (lambda: files.jpeg_with_orientation(300, 200, 1), "image/jpeg"),
        (lambda: files.webp(300, 200), "image/webp"),
        (lambda: files.gif(300, 200), "image/gif"),
    ],
    ids=["png", "png-alpha", "jpeg", "jpeg-upright-tag", "webp", "gif"],
)
def test_an_upright_image_within_limits_is_sent_as_it_is(make: Any, mime: str) -> None:
    data = make()
    sent, sent_mime = image_for_sending(data, "application/octet-stream")
    assert sent is data
    assert sent_mime == mime


def test_an_animated_gif_is_sent_as_its_first_frame_even_when_small() -> None:
    # Vision servers take still images; OpenAI refuses animated GIFs.
    sent, mime = image_for_sending(files.gif(300, 200, frames=4), "image/gif")
    assert mime == "image/png"
    image = opened(sent)
    assert image.size == (300, 200)
    assert not getattr(image, "is_animated", False)
    assert files.corner_colours(sent) == ("red", "red", "red", "red")


GPS_IFD = 0x8825
CAMERA_SERIAL = 0xA431  # BodySerialNumber, in the Exif sub-IFD


def _photo_with_location(fmt: str) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)})
    exif.get_ifd(0x8769)[CAMERA_SERIAL] = "SN-1234567"
    out = io.BytesIO()
    files.quadrants(300, 200).save(
        out, fmt, exif=exif, **({"quality": 95} if fmt == "JPEG" else {})
    )
    return out.getvalue()


# A lossy WebP is a photo: it is sent as a JPEG.
@pytest.mark.parametrize(("fmt", "mime"), [("JPEG", "image/jpeg"), ("PNG", "image/png"),
                                           ("WEBP", "image/jpeg")])  # fmt: skip
def test_a_photos_location_and_camera_stay_on_this_machine(fmt: str, mime: str) -> None:
    data = _photo_with_location(fmt)
    assert GPS_IFD in opened(data).getexif()  # the file as given carries them
    sent, sent_mime = image_for_sending(data, "application/octet-stream")
    assert sent_mime == mime
    assert b"SN-1234567" not in sent
    assert b"PhoneMaker" not in sent
    assert dict(opened(sent).getexif()) == {}
    assert opened(sent).size == (300, 200)
    assert files.corner_colours(sent) == UPRIGHT[1]


def test_the_bytes_decide_the_type_not_the_stored_one() -> None:
    data = files.png(None, 30, 20)
    assert image_for_sending(data, "image/jpeg") == (data, "image/png")


# -- turned upright ----------------------------------------------------------------------------


@pytest.mark.parametrize("orientation", range(2, 9))
def test_a_jpeg_with_an_orientation_is_turned_upright(orientation: int) -> None:
    data = files.jpeg_with_orientation(80, 40, orientation)
    sent, mime = image_for_sending(data, "image/jpeg")
    assert mime == "image/jpeg"
    image = opened(sent)
    assert image.size == ((40, 80) if orientation >= 5 else (80, 40))
    assert files.corner_colours(sent) == UPRIGHT[orientation]
    # The tag is gone, so nothing downstream turns the picture a second time.
    assert orientation_of(sent) in (None, 1)


@pytest.mark.parametrize(
    ("make", "mime"),
    [
        (lambda o: files.quadrant_png(80, 40, orientation=o), "image/png"),
        (lambda o: files.webp(80, 40, orientation=o), "image/png"),
        (lambda o: files.tiff(80, 40, orientation=o), "image/png"),
    ],
    ids=["png", "webp", "tiff"],
)
@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_other_formats_are_turned_upright_too(make: Any, mime: str, orientation: int) -> None:
    sent, sent_mime = image_for_sending(make(orientation), "image/png")
    assert sent_mime == mime
    assert opened(sent).size == ((40, 80) if orientation >= 5 else (80, 40))
    assert files.corner_colours(sent) == UPRIGHT[orientation]
    assert orientation_of(sent) in (None, 1)


# -- scaled and made smaller -------------------------------------------------------------------


def test_a_twelve_megapixel_photo_is_scaled_to_2048_and_under_5_mb() -> None:
    data = files.photo()
    sent, mime = image_for_sending(data, "image/jpeg")
    assert mime == "image/jpeg"
    assert opened(sent).size == (2048, 1536)
    assert len(sent) <= 5 * MB
    assert len(sent) < len(data)


def test_a_photo_taken_upright_is_scaled_and_turned() -> None:
    sent, _ = image_for_sending(files.photo(orientation=6), "image/jpeg")
    assert opened(sent).size == (1536, 2048)


def test_the_long_side_limit_keeps_the_aspect_ratio() -> None:
    sent, mime = image_for_sending(files.png(None, 3000, 1000, (10, 120, 200)), "image/png")
    assert mime == "image/png"
    image = opened(sent)
    assert image.size == (2048, 683)
    assert image.convert("RGB").getpixel((1000, 300)) == (10, 120, 200)


def test_max_side_is_honoured() -> None:
    sent, _ = image_for_sending(files.jpeg_with_orientation(900, 600, None), "", max_side=300)
    assert opened(sent).size == (300, 200)


def test_a_photo_over_the_byte_limit_steps_down_in_quality_not_size() -> None:
    data = files.photo()
    sent, mime = image_for_sending(data, "image/jpeg", max_bytes=400_000)
    assert mime == "image/jpeg"
    assert len(sent) <= 400_000
    assert opened(sent).size == (2048, 1536)


def test_when_quality_is_not_enough_the_sides_shrink_further() -> None:
    sent, mime = image_for_sending(files.photo(), "image/jpeg", max_bytes=60_000)
    assert mime == "image/jpeg"
    assert len(sent) <= 60_000
    width, height = opened(sent).size
    assert width < 2048
    assert abs(width / height - 4 / 3) < 0.01


def test_a_transparent_image_over_the_byte_limit_stays_png_and_shrinks() -> None:
    # Noise with transparency: PNG cannot compress it, JPEG would lose the alpha.
    noise = Image.effect_noise((1200, 900), 60).convert("RGB")
    rgba = noise.convert("RGBA")
    rgba.putalpha(Image.linear_gradient("L").resize((1200, 900)))
    data = io.BytesIO()
    rgba.save(data, "PNG")
    assert len(data.getvalue()) > 1 * MB
    sent, mime = image_for_sending(data.getvalue(), "image/png", max_bytes=1 * MB)
    assert mime == "image/png"
    assert len(sent) <= 1 * MB
    image = opened(sent)
    assert image.mode == "RGBA"
    assert image.width < 1200


def test_an_opaque_png_that_png_cannot_fit_goes_as_jpeg() -> None:
    noise = Image.merge("RGB", [Image.effect_noise((1000, 800), 50) for _ in range(3)])
    data = io.BytesIO()
    noise.save(data, "PNG")
    sent, mime = image_for_sending(data.getvalue(), "image/png", max_bytes=600_000)
    assert mime == "image/jpeg"
    assert len(sent) <= 600_000


# -- formats servers do not take ---------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [lambda: files.bmp(80, 40), lambda: files.tiff(80, 40), files.ico],
    ids=["bmp", "tiff", "ico"],
)
def test_other_formats_become_png(make: Any) -> None:
    sent, mime = image_for_sending(make(), "image/bmp")
    assert mime == "image/png"
    assert opened(sent).format == "PNG"
    assert files.corner_colours(sent) == UPRIGHT[1]


def test_a_palette_image_with_transparency_keeps_it() -> None:
    image = Image.new("P", (3000, 100), 1)
    image.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    image.paste(0, (0, 0, 1500, 100))
    data = io.BytesIO()
    image.save(data, "GIF", transparency=0)
    sent, mime = image_for_sending(data.getvalue(), "image/gif")
    assert mime == "image/png"
    scaled = opened(sent).convert("RGBA")
    assert scaled.getpixel((100, 20))[3] == 0  # the transparent half
    assert scaled.getpixel((1900, 20)) == (0, 0, 255, 255)


def test_an_animated_gif_over_the_limit_is_sent_as_its_first_frame() -> None:
    sent, mime = image_for_sending(files.gif(400, 200, frames=3), "image/gif", max_side=100)
    assert mime == "image/png"
    image = opened(sent)
    assert image.size == (100, 50)
    assert files.corner_colours(sent) == ("red", "red", "red", "red")


def test_a_cmyk_jpeg_becomes_rgb() -> None:
    data = io.BytesIO()
    files.quadrants(400, 200).convert("CMYK").save(data, "JPEG", exif=_exif(6))
    sent, mime = image_for_sending(data.getvalue(), "image/jpeg")
    assert mime == "image/jpeg"
    assert opened(sent).mode == "RGB"
    assert files.corner_colours(sent) == UPRIGHT[6]


def test_sixteen_bit_grey_is_scaled_not_clipped() -> None:
    data = io.BytesIO()
    Image.new("I;16", (3000, 10), 32768).save(data, "PNG")
    sent, _ = image_for_sending(data.getvalue(), "image/png")
    value = opened(sent).convert("L").getpixel((5, 5))
    assert isinstance(value, int)
    assert 120 <= value <= 136  # mid grey, not white


def _exif(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[files.ORIENTATION_TAG] = orientation
    return exif


# -- properties --------------------------------------------------------------------------------


def test_the_result_is_the_same_every_time() -> None:
    data = files.jpeg_with_orientation(3000, 2000, 8)
    assert image_for_sending(data, "image/jpeg") == image_for_sending(data, "image/jpeg")


def test_worker_threads_get_what_one_thread_gets() -> None:
    inputs = [files.jpeg_with_orientation(2500, 1200, o) for o in (1, 3, 6, 8)] + [
        files.bmp(300, 300),
        files.png(None, 2600, 900, alpha=True),
    ]
    expected = [image_for_sending(d, "") for d in inputs]
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda d: image_for_sending(d, ""), inputs * 2))
    assert results == expected * 2


def test_bytes_that_are_no_image_are_refused() -> None:
    with pytest.raises(AttachmentError) as caught:
        image_for_sending(b"not an image at all", "image/png")
    assert caught.value.headline == "An attached image cannot be read"
    assert caught.value.__cause__ is None


# -- thumbnails and sizes ----------------------------------------------------------------------


@pytest.mark.parametrize("orientation", [1, 6, 3])
def test_a_thumbnail_is_a_small_upright_png(orientation: int) -> None:
    data = files.jpeg_with_orientation(1600, 800, orientation)
    thumb = thumbnail_png(data, 256)
    image = opened(thumb)
    assert image.format == "PNG"
    assert image.size == ((128, 256) if orientation >= 5 else (256, 128))
    assert files.corner_colours(thumb) == UPRIGHT[orientation]


def test_a_thumbnail_never_enlarges_and_shows_the_first_frame() -> None:
    thumb = thumbnail_png(files.gif(60, 30, frames=3), 256)
    assert opened(thumb).size == (60, 30)
    assert files.corner_colours(thumb) == ("red", "red", "red", "red")


def test_a_thumbnail_of_no_image_is_refused() -> None:
    with pytest.raises(AttachmentError):
        thumbnail_png(b"%PDF-1.4 not an image", 64)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_image_size_is_upright(orientation: int) -> None:
    data = files.jpeg_with_orientation(64, 32, orientation)
    assert image_size(data) == ((32, 64) if orientation >= 5 else (64, 32))


def test_image_size_reads_only_the_header() -> None:
    # The first kilobytes of the photo: header and a sliver of pixels, nothing decodable.
    head = files.photo()[:4096]
    assert image_size(head) == (4000, 3000)
    assert image_size(files.photo(orientation=8)[:4096]) == (3000, 4000)


@pytest.mark.parametrize(
    ("size", "detail", "tokens"),
    [
        ((4000, 3000), "low", 85),
        ((1024, 1024), "high", 765),  # 768 x 768: 4 tiles
        ((2048, 4096), "high", 1105),  # 1024 x 2048, then 768 x 1536: 6 tiles
        ((4096, 8192), "auto", 1105),  # the same after fitting in 2048 x 2048
        ((512, 512), "auto", 255),  # one tile, never enlarged
        ((10, 10), "high", 255),
        ((4000, 3000), "auto", 765),  # 2048 x 1536, then 1024 x 768: 4 tiles
        ((0, 0), "auto", 255),
    ],
)
def test_token_estimate_follows_the_tile_rule(
    size: tuple[int, int], detail: str, tokens: int
) -> None:
    assert estimate_image_tokens(*size, detail) == tokens


def test_a_lossy_webp_is_re_encoded_as_a_photo_and_a_lossless_one_as_a_drawing() -> None:
    picture = files.quadrants(3000, 1500)
    lossy, lossless = io.BytesIO(), io.BytesIO()
    picture.save(lossy, "WEBP", quality=80)
    picture.save(lossless, "WEBP", lossless=True)
    assert image_for_sending(lossy.getvalue(), "image/webp")[1] == "image/jpeg"
    assert image_for_sending(lossless.getvalue(), "image/webp")[1] == "image/png"
