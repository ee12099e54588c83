"""The tray icon, drawn with Pillow: a phone handset whose colour and badge tell the state.

- ``ok``: blue disc, white handset;
- ``calling``: green disc (a call is being placed);
- ``unconfigured``, ``checking``: grey disc;
- ``unreachable``: grey disc with a red cross badge (no answer from the server);
- ``refused``, ``not_astitray``, ``no_phone``: orange disc with a "!" badge (the server said no).

New missed calls add a red disc with their count at the top right ("9+" beyond nine).
"""

from __future__ import annotations

from functools import cache

from PIL import Image, ImageDraw, ImageFont

SIZE = 64  # the drawing's own grid
# What the tray is given: twice a 64-pixel slot, so that HiDPI panels (and AppIndicator, which scales the
# image it is given) show it sharp.
TRAY_SIZE = 128

_BACKGROUND = {
    "ok": (25, 118, 210),
    "calling": (46, 160, 67),
    "unconfigured": (120, 124, 130),
    "checking": (120, 124, 130),
    "unreachable": (120, 124, 130),
    "refused": (230, 126, 34),
    "not_astitray": (230, 126, 34),
    "no_phone": (230, 126, 34),
}
_BADGE = {"unreachable": "cross", "refused": "bang", "not_astitray": "bang", "no_phone": "bang"}
STATES = tuple(_BACKGROUND)


def image(state: str, size: int = TRAY_SIZE, missed: int = 0) -> Image.Image:
    """The icon for ``state`` (see the module doc), ``size`` pixels square; ``missed``: new missed calls.

    Drawn once for each of them (the same image object after that, however the arguments are given).
    """
    return _drawn(state, size, max(0, min(missed, 10)))


@cache
def _drawn(state: str, size: int, missed: int) -> Image.Image:
    # Drawn larger, then scaled down: smooth edges without anti-aliasing primitives (at least twice the
    # size asked for; four times for the small sizes of menus and trays).
    scale = max(4, 2 * -(-size // SIZE))
    big = SIZE * scale
    canvas = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(canvas)
    draw.ellipse(
        (2 * scale, 2 * scale, big - 2 * scale, big - 2 * scale),
        fill=(*_BACKGROUND.get(state, (120, 124, 130)), 255),
    )
    handset = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    _handset(ImageDraw.Draw(handset), scale)
    # Tilted like a handset lying in its cradle.
    canvas.alpha_composite(handset.rotate(-35, resample=Image.Resampling.BICUBIC, center=(big / 2, big / 2)))
    badge = _BADGE.get(state)
    if badge:
        _badge(draw, scale, badge)
    if missed > 0:
        _count(draw, scale, "9+" if missed > 9 else str(missed))
    return canvas.resize((size, size), Image.Resampling.LANCZOS)


def _handset(draw: ImageDraw.ImageDraw, s: int) -> None:
    """A classic handset: a thick arc with an ear piece and a mouth piece, tilted."""
    white = (255, 255, 255, 255)
    # The grip: an arc around the lower left of the disc.
    draw.arc((14 * s, 14 * s, 50 * s, 50 * s), start=100, end=260, fill=white, width=7 * s)
    # Ear piece (top) and mouth piece (bottom): rounded pads at the arc's ends.
    draw.rounded_rectangle((22 * s, 10 * s, 36 * s, 22 * s), radius=4 * s, fill=white)
    draw.rounded_rectangle((22 * s, 42 * s, 36 * s, 54 * s), radius=4 * s, fill=white)


def _badge(draw: ImageDraw.ImageDraw, s: int, kind: str) -> None:
    red = (211, 47, 47, 255)
    white = (255, 255, 255, 255)
    box = (38 * s, 38 * s, 63 * s, 63 * s)
    draw.ellipse(box, fill=red if kind == "cross" else white, outline=white, width=2 * s)
    if kind == "cross":
        draw.line((45 * s, 45 * s, 56 * s, 56 * s), fill=white, width=4 * s)
        draw.line((45 * s, 56 * s, 56 * s, 45 * s), fill=white, width=4 * s)
    else:
        orange = (230, 126, 34, 255)
        draw.rounded_rectangle((48 * s, 42 * s, 53 * s, 53 * s), radius=2 * s, fill=orange)
        draw.ellipse((48 * s, 55 * s, 53 * s, 60 * s), fill=orange)


def _count(draw: ImageDraw.ImageDraw, s: int, text: str) -> None:
    """A red disc at the top right with ``text`` (the missed calls' count) in white."""
    red = (211, 47, 47, 255)
    draw.ellipse((36 * s, 0, 64 * s - 1, 28 * s), fill=red, outline=(255, 255, 255, 255), width=2 * s)
    glyphs = _glyphs(text, (18 if len(text) == 1 else 13) * s)
    left, top = 50 * s - glyphs.width // 2, 14 * s - glyphs.height // 2
    draw.bitmap((left, top), glyphs, fill=(255, 255, 255, 255))


def _glyphs(text: str, height: int) -> Image.Image:
    """``text`` as a mask ``height`` pixels tall: a bold system font (DejaVu), else Pillow's own font
    scaled up (Debian's Pillow has no scalable font of its own)."""
    try:
        font: ImageFont.FreeTypeFont | ImageFont.ImageFont = ImageFont.truetype("DejaVuSans-Bold.ttf", height)
    except OSError:
        font = ImageFont.load_default()
    left, top, right, bottom = (int(value) for value in font.getbbox(text))
    mask = Image.new("L", (max(1, right - left), max(1, bottom - top)))
    ImageDraw.Draw(mask).text((-left, -top), text, fill=255, font=font)
    if mask.height < height * 3 // 4:  # the small bitmap font: scaled to the height asked for
        mask = mask.resize((mask.width * height // mask.height, height), Image.Resampling.BICUBIC)
    return mask
