"""The one rule for text and the one rule for numbers that every input of the portal goes
through: form fields (``agencies.forms.PortalForm`` applies them to every field), the
hand-parsed scoring sheet, and the services' own checks.

Text: a maximum length, and no NUL or other control characters (C0 except tab and line
breaks in multi-line fields, DEL, C1, lone surrogates); CR LF and CR count as one line break.
Numbers: ASCII digits with one Vietnamese comma or a dot as the decimal separator (thousands
may be grouped with dots where that cannot be misread: 1.234,5 and 1.234.567; a whole number
takes 1.234 and refuses 1.5 or 1,5 as ambiguous), bounded in length before anything converts
them, in digits, decimals and range; exponents, NaN,
Infinity and a minus sign where none belongs are refused. Each refusal is a Vietnamese
message naming the field."""

from __future__ import annotations

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _

# --- Text -----------------------------------------------------------------------------------

# C0 controls but tab, LF and CR; DEL; C1 controls; lone surrogates (no character at all).
_CONTROL_MULTILINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def normalise_newlines(text: str) -> str:
    """CR LF (what browsers send for a line break) and a lone CR become LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def text_errors(text: str, *, max_length: int, multiline: bool, label=None) -> list[str]:
    """Every problem of an already normalised text, as Vietnamese messages (none: fine)."""
    label = label or _("Nội dung")
    errors = []
    if len(text) > max_length:
        errors.append(
            _("%(label)s dài quá %(max)s ký tự (hiện có %(length)s).")
            % {"label": label, "max": max_length, "length": len(text)}
        )
    if (_CONTROL_MULTILINE if multiline else _CONTROL_LINE).search(text):
        errors.append(_("%(label)s chứa ký tự điều khiển không hợp lệ.") % {"label": label})
    return errors


def clean_text(
    value, *, max_length: int, multiline: bool = True, label=None, strip: bool = True
) -> str:
    """The text as it will be stored (line breaks normalised, surrounding blanks removed),
    or ValidationError with every problem."""
    text = normalise_newlines("" if value is None else str(value))
    if strip:
        text = text.strip()
    errors = text_errors(text, max_length=max_length, multiline=multiline, label=label)
    if errors:
        raise ValidationError(errors, code="text")
    return text


@deconstructible
class TextValidator:
    """The text rule as a Django validator (form fields; model fields if the lead wants)."""

    def __init__(self, max_length: int, multiline: bool = False, label=None):
        self.max_length, self.multiline, self.label = max_length, multiline, label

    def __call__(self, value) -> None:
        if not isinstance(value, str):  # e.g. a JSON field's parsed value
            return
        text = normalise_newlines(value)
        errors = text_errors(
            text, max_length=self.max_length, multiline=self.multiline, label=self.label
        )
        if errors:
            raise ValidationError(errors, code="text")

    def __eq__(self, other) -> bool:
        return isinstance(other, TextValidator) and (
            self.max_length,
            self.multiline,
            self.label,
        ) == (other.max_length, other.multiline, other.label)


# --- Numbers --------------------------------------------------------------------------------

# Longer input is refused before any conversion: no Decimal or int is built from it.
MAX_NUMBER_TEXT = 40
INTEGER_MAX = 2_147_483_647  # fits every database's integer column
_DECIMAL_TEXT = re.compile(r"(?P<sign>-?)(?P<whole>[0-9]*)(?:[.,](?P<fraction>[0-9]*))?")
# Whole numbers: plain digits, or Vietnamese thousands groups (1.234.567 or 1 234 567).
_INTEGER_TEXT = re.compile(r"(?P<sign>-?)(?P<digits>[0-9]+|[0-9]{1,3}(?:[. \u00a0][0-9]{3})+)")
# Decimals may group thousands the Vietnamese way when a decimal comma follows (1.234,5) or
# when there are several groups (1.234.567): both can only mean thousands.
_GROUPED_DECIMAL = re.compile(
    r"(?P<sign>-?)(?P<whole>[0-9]{1,3}(?:\.[0-9]{3})+),(?P<fraction>[0-9]+)"
    r"|(?P<gsign>-?)(?P<gwhole>[0-9]{1,3}(?:\.[0-9]{3}){2,})"
)
# Digits with a separator that is neither a thousands group nor allowed in a whole number
# ("1.5", "1,5", "1.234,5"): a whole number typed so is ambiguous, never rounded or joined.
_SEPARATED_DIGITS = re.compile(r"-?[0-9]+(?:[.,][0-9]+)+")
_NOT_FINITE = re.compile(r"[+-]?\s*(s?nan[0-9]*|inf|infinity|∞)", re.IGNORECASE)
_EXPONENT = re.compile(r"[0-9.,]\s*[eE]\s*[+-]?\s*[0-9]")


def _shown(raw: str) -> str:
    """What was typed, short and printable, for a message."""
    printable = "".join(ch for ch in raw if ch.isprintable())
    return printable if len(printable) <= 20 else printable[:20] + "…"


def _plain(value) -> str:
    """10 -> "10", Decimal("0.50") -> "0,5": numbers in messages, written the Vietnamese way."""
    text = f"{Decimal(value):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


def _not_a_number(raw: str, label, *, integer: bool) -> ValidationError:
    """Why ``raw`` is not a number the portal reads, in the most helpful words."""
    if _NOT_FINITE.fullmatch(raw):
        message = _("%(label)s: “%(value)s” không phải là một số hữu hạn.")
    elif _EXPONENT.search(raw):
        message = _(
            "%(label)s: không dùng cách viết lũy thừa như “%(value)s”; hãy nhập số thông thường."
        )
    elif integer and _SEPARATED_DIGITS.fullmatch(raw):
        message = _(
            "%(label)s phải là một số nguyên; “%(value)s” có phần thập phân hoặc không rõ "
            "nghĩa. Viết 1234 hoặc 1.234 (dấu chấm ngăn cách từng nhóm ba chữ số)."
        )
    elif integer:
        message = _("%(label)s phải là một số nguyên (“%(value)s”).")
    else:
        message = _(
            "%(label)s: “%(value)s” không phải là số (chỉ dùng chữ số 0–9, dấu phẩy hoặc "
            "dấu chấm thập phân)."
        )
    return ValidationError(message % {"label": label, "value": _shown(raw)}, code="invalid")


def _too_many_digits(label, digits: int, *, integer: bool) -> ValidationError:
    if integer:
        message = _("%(label)s có quá nhiều chữ số (tối đa %(max)s chữ số).")
    else:
        message = _("%(label)s có quá nhiều chữ số (tối đa %(max)s chữ số phần nguyên).")
    return ValidationError(message % {"label": label, "max": digits}, code="max_digits")


def _check_range(value, label, minimum, maximum) -> None:
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        if minimum is None:
            message = _("%(label)s không được lớn hơn %(max)s.")
        elif maximum is None:
            message = _("%(label)s không được nhỏ hơn %(min)s.")
        else:
            message = _("%(label)s phải nằm trong khoảng %(min)s – %(max)s.")
        params = {"label": label}
        params |= {"min": _plain(minimum)} if minimum is not None else {}
        params |= {"max": _plain(maximum)} if maximum is not None else {}
        raise ValidationError(message % params, code="range")


def _number_text(text) -> str:
    return "" if text is None else str(text).strip()


def _check_sign(sign: str, label, minimum) -> None:
    if sign and (minimum is None or minimum >= 0):
        raise ValidationError(
            _("%(label)s không được là số âm.") % {"label": label}, code="negative"
        )


def _ungrouped(raw: str) -> str:
    """1.234,5 -> 1234,5 and 1.234.567 -> 1234567; anything else as typed."""
    grouped = _GROUPED_DECIMAL.fullmatch(raw)
    if grouped is None:
        return raw
    if grouped["whole"]:
        return f"{grouped['sign']}{grouped['whole'].replace('.', '')},{grouped['fraction']}"
    return grouped["gsign"] + grouped["gwhole"].replace(".", "")


def parse_decimal(
    text,
    *,
    max_digits: int,
    decimal_places: int,
    minimum=None,
    maximum=None,
    label=None,
) -> Decimal | None:
    """``text`` as a Decimal (None when blank), or ValidationError with a Vietnamese message.
    A minus sign is taken only when ``minimum`` is below zero."""
    raw = _number_text(text)
    if not raw:
        return None
    label = label or _("Giá trị")
    whole_digits = max_digits - decimal_places
    if len(raw) > MAX_NUMBER_TEXT:
        raise _too_many_digits(label, whole_digits, integer=False)
    raw = _ungrouped(raw)
    match = _DECIMAL_TEXT.fullmatch(raw)
    if match is None or not (match["whole"] or match["fraction"]):
        raise _not_a_number(raw, label, integer=False)
    _check_sign(match["sign"], label, minimum)
    if len(match["whole"].lstrip("0")) > whole_digits:
        raise _too_many_digits(label, whole_digits, integer=False)
    fraction = match["fraction"] or ""
    if len(fraction.rstrip("0")) > decimal_places:
        raise ValidationError(
            _("%(label)s chỉ được có tối đa %(places)s chữ số thập phân.")
            % {"label": label, "places": decimal_places},
            code="max_decimal_places",
        )
    value = Decimal(match["sign"] + (match["whole"] or "0") + (f".{fraction}" if fraction else ""))
    _check_range(value, label, minimum, maximum)
    return value


def parse_integer(text, *, minimum: int, maximum: int, label=None) -> int | None:
    """``text`` as an int (None when blank), or ValidationError with a Vietnamese message.
    Vietnamese thousands groups are read (1.234 is one thousand two hundred and thirty-four);
    a decimal comma is refused, not rounded."""
    raw = _number_text(text)
    if not raw:
        return None
    label = label or _("Giá trị")
    digits = len(str(max(abs(minimum), abs(maximum))))
    if len(raw) > MAX_NUMBER_TEXT:
        raise _too_many_digits(label, digits, integer=True)
    match = _INTEGER_TEXT.fullmatch(raw)
    if match is None:
        raise _not_a_number(raw, label, integer=True)
    _check_sign(match["sign"], label, minimum)
    plain = re.sub(r"[. \u00a0]", "", match["digits"])
    if len(plain.lstrip("0")) > digits:
        raise _too_many_digits(label, digits, integer=True)
    value = int(match["sign"] + plain)
    _check_range(value, label, minimum, maximum)
    return value
