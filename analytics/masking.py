"""Masking of personal data before it leaves ``analytics/`` (names, phones, addresses)."""

from __future__ import annotations

import re

import pandas as pd

_PHONE = re.compile(r"^(\+?86)?(1\d{2})\d{4}(\d{4})$")
_DIGITS = re.compile(r"\d")


def mask_name(name: str | None) -> str | None:
    """张三 → 张*, 欧阳娜娜 → 欧阳**: keep the surname, hide the given name."""
    if name is None or pd.isna(name) or not str(name).strip():
        return None
    name = str(name).strip()
    keep = 2 if len(name) >= 4 else 1
    return name[:keep] + "*" * (len(name) - keep)


def mask_phone(phone: str | None) -> str | None:
    """13812341234 → 138****1234; other numbers keep only their last 4 digits."""
    if phone is None or pd.isna(phone) or not str(phone).strip():
        return None
    digits = re.sub(r"[\s-]", "", str(phone))
    match = _PHONE.match(digits)
    if match:
        return f"{match.group(2)}****{match.group(3)}"
    return "*" * max(len(digits) - 4, 0) + digits[-4:]


def mask_address(address: str | None) -> str | None:
    """Keep the area (up to the road name) and hide house numbers: 桂花路12号3栋 → 桂花路**号*栋."""
    if address is None or pd.isna(address) or not str(address).strip():
        return None
    return _DIGITS.sub("*", str(address))


MASKERS = {"reporter_name": mask_name, "reporter_phone": mask_phone, "address": mask_address}


def mask_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with every personal column masked."""
    out = df.copy()
    for column, masker in MASKERS.items():
        if column in out:
            out[column] = out[column].map(masker)
    return out
