"""Demo signing material for the lead body (issue 16): a test CA, a certificate and PKCS#12
credential, a seal and signature images, all labelled "chứng thư số thử nghiệm" / test
images, stored through the services like an administrator's uploads. The CA certificate is
also written to MEDIA_ROOT/demo-ca.pem so a user can validate a demo PDF with pyHanko's
command line (docs/signing.md). Idempotent: what exists is kept.

The images are drawn with Pillow: a red seal (two rings, the body's name around, a star
and "THỬ NGHIỆM" in the middle) and a blue handwritten-looking stroke per signer, both on a
transparent background. ``seal_png`` and ``signature_png`` are used by the tests too.
"""

from __future__ import annotations

import hashlib
import io
import math
import secrets as random_secrets
import unicodedata
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw, ImageFont

from agencies.models import Agency
from agencies.people import director_of
from signing import pki, services
from signing.appearance import name_key
from signing.models import Seal, SigningCredential, TrustAnchor

CA_NAME = "CA thử nghiệm Cổng CCHC"
CA_ORGANIZATION = "Cổng điều phối CCHC – thử nghiệm"
TEST_SUFFIX = " (chứng thư số thử nghiệm)"
FONTS = Path(settings.BASE_DIR) / "static" / "fonts"
RED = (200, 16, 32, 255)
BLUE = (16, 40, 190, 255)


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def _upload(data: bytes, name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/png")


def _star(cx: float, cy: float, outer: float) -> list[tuple[float, float]]:
    inner = outer * 0.382
    return [
        (
            cx + (outer if i % 2 == 0 else inner) * math.sin(math.pi * i / 5),
            cy - (outer if i % 2 == 0 else inner) * math.cos(math.pi * i / 5),
        )
        for i in range(10)
    ]


def _text_around(image: Image.Image, text: str, radius: float, font) -> None:
    """``text`` along the top of a circle of ``radius`` centred on the image, upright."""
    cx, cy = image.width / 2, image.height / 2
    widths = [font.getlength(ch) for ch in text]
    spread = max(1.0, math.radians(300) * radius / sum(widths))  # cover at least 300°
    widths = [w * spread for w in widths]
    span = sum(widths) / radius  # radians the text covers
    angle = -span / 2
    for ch, width in zip(text, widths, strict=True):
        middle = angle + width / 2 / radius
        glyph = Image.new("RGBA", (int(width) + font.size, font.size * 2), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text(
            (glyph.width / 2, font.size), ch, font=font, fill=RED, anchor="mm"
        )
        glyph = glyph.rotate(-math.degrees(middle), resample=Image.Resampling.BICUBIC, expand=True)
        x = cx + radius * math.sin(middle) - glyph.width / 2
        y = cy - radius * math.cos(middle) - glyph.height / 2
        image.alpha_composite(glyph, (round(x), round(y)))
        angle += width / radius


def seal_png(agency_name: str, size: int = 600) -> bytes:
    """A red test seal: two rings, the body's name around, a star and "THỬ NGHIỆM"."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    c = size / 2
    draw.ellipse((6, 6, size - 6, size - 6), outline=RED, width=size // 60)
    inner = size * 0.33
    draw.ellipse((c - inner, c - inner, c + inner, c + inner), outline=RED, width=size // 120)
    draw.polygon(_star(c, c - size * 0.09, size * 0.11), fill=RED)
    bold = ImageFont.truetype(str(FONTS / "LiberationSerif-Bold.ttf"), round(size * 0.07))
    words = unicodedata.normalize("NFC", "THỬ NGHIỆM")
    draw.text((c, c + size * 0.1), words, font=bold, fill=RED, anchor="mm")
    ring_text = unicodedata.normalize("NFC", f"{agency_name.upper()} • THỬ NGHIỆM •")
    font_size = round(size * 0.075)
    while True:  # smaller letters for a long name, so it fits once around
        ring_font = ImageFont.truetype(str(FONTS / "LiberationSans-Bold.ttf"), font_size)
        radius = size * 0.415 - font_size / 2
        if ring_font.getlength(ring_text) < 1.7 * math.pi * radius or font_size < 12:
            break
        font_size -= 2
    _text_around(image, ring_text, radius, ring_font)
    return _png(image)


def signature_png(name: str, width: int = 900, height: int = 360) -> bytes:
    """A blue, handwritten-looking stroke drawn from ``name`` (the same name, the same
    stroke): a tall first letter, a slanted run of loops, an underline flourish."""
    seed = hashlib.sha256(name_key(name).encode()).digest()
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    loops = 4 + seed[0] % 3
    ratio = 1.6 + seed[1] / 255  # loop size over advance: > 1 makes loops
    slant = 0.25 + seed[2] / 255 * 0.2
    steps = 90 * loops
    run = []
    for i in range(steps + 1):
        t = 2 * math.pi * loops * i / steps
        fade = 1 - 0.45 * i / steps
        x, y = t - ratio * math.sin(t), -ratio * math.cos(t) * fade
        run.append((x - slant * y, y))
    xs, ys = [p[0] for p in run], [p[1] for p in run]
    sx = width * 0.62 / (max(xs) - min(xs))
    sy = height * 0.3 / (max(ys) - min(ys))
    left, top = width * 0.26, height * 0.28
    run = [(left + (x - min(xs)) * sx, top + (y - min(ys)) * sy) for x, y in run]
    first = [
        (width * (0.1 + 0.1 * t + 0.04 * math.sin(2 * math.pi * t)), height * (0.8 - 0.7 * t))
        for t in (i / 40 for i in range(41))
    ]
    first += [
        (x + width * 0.1 * t, y + height * 0.55 * t)
        for t in (i / 30 for i in range(31))
        for x, y in [first[-1]]
    ]
    pen = max(4, height // 50)
    draw.line(first + run, fill=BLUE, width=pen, joint="curve")
    swash = [
        (width * (0.06 + 0.88 * t), height * (0.82 - 0.1 * math.sin(math.pi * t) + 0.04 * t))
        for t in (i / 99 for i in range(100))
    ]
    draw.line(swash, fill=BLUE, width=max(3, pen - 1), joint="curve")
    return _png(image)


def _credential(lead) -> SigningCredential:
    credential = SigningCredential.objects.filter(
        agency=lead, active=True, illustrative=True
    ).first()
    if credential is not None:
        return credential
    ca = pki.make_ca(CA_NAME, organization=CA_ORGANIZATION)
    common_name = lead.name + TEST_SUFFIX
    while len(common_name.encode()) > 64:  # X.509 (as cryptography counts): 64 bytes
        common_name = common_name[: -len(TEST_SUFFIX) - 1] + TEST_SUFFIX
    issued = pki.issue(ca, common_name, organization=CA_ORGANIZATION)
    passphrase = random_secrets.token_urlsafe(18)
    return services.credential_add_pkcs12(
        actor=None,
        agency=lead,
        label="Chứng thư số thử nghiệm của " + lead.name,
        data=pki.pkcs12(issued, passphrase.encode(), name="demo"),
        passphrase=passphrase,
        illustrative=True,
    )


def _ca_pem(credential: SigningCredential) -> bytes:
    chain = pki.load_certificates(credential.chain.encode())
    return pki.pem([c for c in chain if c.subject == c.issuer] or chain[-1:]).encode()


def seed(*, password: str, stdout) -> None:
    """``seed_demo``'s step (runs before coordination, scoring and reports, so what the
    demo issues is signed): the lead body's material, with a signature image for the
    person who signs for it (``agencies.people.director_of``)."""
    lead = Agency.objects.lead()
    director = director_of(lead)
    seed_lead(lead, signer_names=[director.full_name] if director else [])
    stdout.write(f"Chứng thư số thử nghiệm của {lead.name}; CA: {settings.MEDIA_ROOT}/demo-ca.pem")


def seed_lead(lead_agency, *, signer_names: list[str]) -> None:
    """The lead body's demo credential, trust anchor, seal and signature images."""
    from signing.anchors import trust_anchor_add

    credential = _credential(lead_agency)
    ca_pem = _ca_pem(credential)
    ca = pki.load_certificates(ca_pem)[0]
    if not TrustAnchor.objects.filter(fingerprint=pki.facts(ca).fingerprint).exists():
        trust_anchor_add(actor=None, name=CA_NAME, data=ca_pem, illustrative=True)
    Path(settings.MEDIA_ROOT).mkdir(parents=True, exist_ok=True)
    (Path(settings.MEDIA_ROOT) / "demo-ca.pem").write_bytes(ca_pem)
    if not Seal.objects.filter(agency=lead_agency).exists():
        services.seal_set(
            actor=None,
            agency=lead_agency,
            image=_upload(seal_png(lead_agency.name), "con-dau.png"),
            diameter_mm=36,
            illustrative=True,
        )
    have = {name_key(n) for n in lead_agency.signature_images.values_list("full_name", flat=True)}
    for name in signer_names:
        if name and name_key(name) not in have:
            services.signature_image_set(
                actor=None,
                agency=lead_agency,
                full_name=name,
                title="",
                image=_upload(signature_png(name), "chu-ky.png"),
                illustrative=True,
            )
            have.add(name_key(name))
