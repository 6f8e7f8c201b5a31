"""How a signature looks on the page (Decree 30/2020/NĐ-CP, Appendix I part II).

Inside the signature box (the space between the signer's title and full name):

- the signer's signature image (blue, transparent PNG) centred horizontally, above the text;
- the body's seal (red, transparent PNG) at its real size (``Seal.diameter_mm``, 1 mm =
  72/25.4 pt), over about the left third of the signature image;
- the body's name (wrapped at spaces to the box's width) and the signing time (ISO 8601,
  Vietnam time, with seconds and offset) in Liberation Serif (metric-compatible with Times
  New Roman), blue, 10 pt, in the bottom right corner, under the signature image.

The images are composed with Pillow into one transparent PNG at ``DPI`` sized to the box,
drawn as the stamp's background at full opacity; the text is real PDF text (searchable,
embedded font subset). Without a seal or signature image the signature is still valid and
shows the text alone. When the box is lower than the seal, the seal is shrunk to fit it
and a warning is logged: the document's layout should leave room for the real size.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from PIL import Image
from pyhanko.pdf_utils import generic, layout
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator, GlyphAccumulatorFactory
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.stamp import TextStampStyle

from signing.models import Seal, SignatureImage

logger = logging.getLogger(__name__)

PT_PER_MM = 72 / 25.4
DPI = 300
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
FONT = Path(settings.BASE_DIR) / "static" / "fonts" / "LiberationSerif-Regular.ttf"
FONT_SIZE = 10
BLUE = (0.0, 0.0, 1.0)
TEXT_MARGIN = 1  # pt around the text, inside the box
SIGNATURE_SHARE = (0.7, 0.95)  # largest share of the box's width and free height it takes


def name_key(name: str) -> str:
    """A person's name as compared: NFC, case-folded, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFC", name or "").casefold().split())


def signing_time_text(when: dt.datetime) -> str:
    """ISO 8601 in Vietnam time with seconds and offset: 2026-12-02T10:15:30+07:00."""
    return when.astimezone(VIETNAM).replace(microsecond=0).isoformat()


def images_for(agency, signer_name: str) -> tuple[Seal | None, SignatureImage | None]:
    """The body's seal and the signer's signature image, when uploaded."""
    seal = Seal.objects.filter(agency=agency).first()
    key = name_key(signer_name)
    signature = next(
        (s for s in SignatureImage.objects.filter(agency=agency) if name_key(s.full_name) == key),
        None,
    )
    return seal, signature


@lru_cache(maxsize=64)
def _picture(storage_name: str) -> Image.Image:
    """An uploaded image, loaded once (stored names are unique and never rewritten)."""
    from django.core.files.storage import default_storage

    with default_storage.open(storage_name, "rb") as handle:
        image = Image.open(handle)
        image.load()
    return image.convert("RGBA")


def _fit(image: Image.Image, width: int, height: int) -> Image.Image:
    ratio = min(width / image.width, height / image.height)
    size = (max(1, round(image.width * ratio)), max(1, round(image.height * ratio)))
    return image.resize(size, Image.Resampling.LANCZOS)


def _put_seal(canvas: Image.Image, seal: Image.Image, diameter: int, sig_left, sig_width) -> None:
    """The seal at ``diameter`` pixels, vertically centred, its right edge a third of the way
    into the signature image (centred when there is none)."""
    if diameter > min(canvas.size):
        logger.warning(
            "Signature box of %dx%d px (at %d dpi) is smaller than the seal (%d px): shrunk.",
            *canvas.size,
            DPI,
            diameter,
        )
        diameter = min(canvas.size)
    stamp = _fit(seal, diameter, diameter)
    if sig_left is None:
        left = (canvas.width - stamp.width) // 2
    else:
        left = max(0, sig_left + sig_width // 3 - stamp.width)
    canvas.alpha_composite(stamp, (left, (canvas.height - stamp.height) // 2))


@lru_cache(maxsize=32)
def compose(
    width_pt: float,
    height_pt: float,
    *,
    signature: str | None,
    seal: str | None,
    seal_diameter_pt: float,
    text_band_pt: float,
) -> Image.Image | None:
    """The signature and seal images laid out on one transparent RGBA image of the box's
    size at ``DPI`` (``signature`` and ``seal`` are stored file names); None when there is
    neither."""
    if not signature and not seal:
        return None
    scale = DPI / 72
    width, height = round(width_pt * scale), round(height_pt * scale)
    free_height = max(1, height - round(text_band_pt * scale))
    canvas = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    sig_left = sig_width = None
    if signature:
        picture = _fit(
            _picture(signature),
            round(width * SIGNATURE_SHARE[0]),
            round(free_height * SIGNATURE_SHARE[1]),
        )
        sig_left, sig_width = (width - picture.width) // 2, picture.width
        canvas.alpha_composite(picture, (sig_left, (free_height - picture.height) // 2))
    if seal:
        _put_seal(canvas, _picture(seal), round(seal_diameter_pt * scale), sig_left, sig_width)
    # A few colours carry the image (the alpha channel carries the edges): a third of the
    # bytes once compressed in the PDF.
    picture = canvas.convert("RGB").quantize(16, method=Image.Quantize.FASTOCTREE).convert("RGB")
    picture.putalpha(canvas.getchannel("A"))
    return picture


class _Accumulator(GlyphAccumulator):
    """pyHanko 0.38's glyph accumulator writes a TrueType font's widths (/W), its TJ
    adjustments and its descriptor's metrics in the font's own units; PDF glyph space is
    1/1000 em. Liberation Serif has 2048 units per em, so every glyph would be spaced about
    twice too wide. Here HarfBuzz measures in thousandths and the widths and metrics are
    scaled to match."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._em = self.units_per_em
        self.units_per_em = 1000
        self.hb_font.scale = (1000, 1000)
        descriptor = self.cidfont_obj._font_descriptor
        for key in ("/Ascent", "/Descent", "/CapHeight"):
            descriptor[pdf_name(key)] = generic.NumberObject(self._thousandths(descriptor[key]))
        descriptor[pdf_name("/FontBBox")] = generic.ArrayObject(
            generic.NumberObject(self._thousandths(v)) for v in descriptor["/FontBBox"]
        )

    def _thousandths(self, value) -> int:
        return round(int(value) * 1000 / self._em)

    def _get_cid_and_width(self, glyph_id: int) -> tuple[int, int]:
        if glyph_id not in self._glyphs:
            cid, width = super()._get_cid_and_width(glyph_id)
            self._glyphs[glyph_id] = (cid, self._thousandths(width))
        return self._glyphs[glyph_id]


# What the appearance can print: Latin with every Vietnamese letter, digits, punctuation.
FONT_RANGES = ((0x20, 0x250), (0x300, 0x370), (0x1E00, 0x1F00), (0x2000, 0x2070))


@lru_cache(maxsize=1)
def _font_bytes() -> bytes:
    """Liberation Serif cut down once per process to ``FONT_RANGES``, without OpenType
    layout tables (precomposed NFC text needs no shaping beyond the cmap): pyHanko then
    subsets a 500-glyph font per signature instead of parsing a 2600-glyph one."""
    from fontTools import subset, ttLib

    options = subset.Options()
    options.layout_features = []
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "kern", "FFTM"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[c for low, high in FONT_RANGES for c in range(low, high)])
    font = ttLib.TTFont(FONT)
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()


@dataclass(frozen=True)
class _FontFactory(GlyphAccumulatorFactory):
    """GlyphAccumulatorFactory with the corrected accumulator and the font read once."""

    def create_font_engine(self, writer, obj_stream=None) -> GlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs and self.create_objstream_if_needed:
            obj_stream = writer.prepare_object_stream()
        return _Accumulator(
            writer=writer,
            font_handle=io.BytesIO(_font_bytes()),
            font_size=self.font_size,
            obj_stream=obj_stream,
        )


@lru_cache(maxsize=1)
def _font() -> GlyphAccumulatorFactory:
    return _FontFactory(str(FONT), font_size=FONT_SIZE)


@lru_cache(maxsize=1)
def _measure():
    from PIL import ImageFont

    return ImageFont.truetype(str(FONT), FONT_SIZE * 10)  # lengths in tenths of a point


def name_lines(name: str, width_pt: float) -> list[str]:
    """The body's name at 10 pt, wrapped at spaces to fit ``width_pt``."""
    font, lines = _measure(), []
    for word in unicodedata.normalize("NFC", name).split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and font.getlength(candidate) / 10 <= width_pt:
            lines[-1] = candidate
        else:
            lines.append(word)
    return lines or [""]


def _style(text: str, background: PdfImage | None) -> TextStampStyle:
    return TextStampStyle(
        stamp_text=text,
        text_box_style=TextBoxStyle(
            font=_font(),
            font_size=FONT_SIZE,
            text_color=BLUE,
            border_width=0,
            box_layout_rule=layout.SimpleBoxLayoutRule(
                x_align=layout.AxisAlignment.ALIGN_MIN,
                y_align=layout.AxisAlignment.ALIGN_MIN,
            ),
        ),
        inner_content_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MAX,
            y_align=layout.AxisAlignment.ALIGN_MIN,
            margins=layout.Margins.uniform(TEXT_MARGIN),
        ),
        border_width=0,
        background=background,
        background_opacity=1.0,
        background_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MID,
            y_align=layout.AxisAlignment.ALIGN_MID,
            inner_content_scaling=layout.InnerScaling.STRETCH_FILL,
        ),
    )


def stamp_style(
    width_pt: float,
    height_pt: float,
    *,
    agency,
    signer_name: str,
    when: dt.datetime,
) -> tuple[TextStampStyle, dict]:
    """The pyHanko stamp style for a visible signature and its text parameters."""
    seal, signature = images_for(agency, signer_name)
    lines = name_lines(agency.name, width_pt - 2 * TEXT_MARGIN)
    picture = compose(
        round(width_pt, 2),
        round(height_pt, 2),
        signature=signature.image.name if signature else None,
        seal=seal.image.name if seal else None,
        seal_diameter_pt=(seal.diameter_mm * PT_PER_MM) if seal else 0.0,
        text_band_pt=(len(lines) + 1) * FONT_SIZE + 2 * TEXT_MARGIN,
    )
    background = None
    if picture is not None:
        background = PdfImage(picture, box=layout.BoxConstraints(width_pt, height_pt))
    text = "\n".join(line.replace("%", "%%") for line in lines) + "\n%(when)s"
    return _style(text, background), {"when": signing_time_text(when)}
