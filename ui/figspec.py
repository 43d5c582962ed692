"""Plotly figures as plain dicts: the helpers the charts, the projector copy and the slide
pictures share to build and edit them without plotly's validating objects."""

from __future__ import annotations


def merge(target: dict, changes: dict) -> dict:
    """``changes`` written into ``target`` as plotly's ``update`` does: dicts merged."""
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            merge(target[key], value)
        else:
            target[key] = value
    return target


def without_empty(value):
    """``value`` without empty objects at any depth ({} is every plotly object's default,
    and a validated figure leaves them out)."""
    if isinstance(value, dict):
        kept = {k: without_empty(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if not (isinstance(v, dict) and not v)}
    if isinstance(value, list):
        return [without_empty(v) for v in value]
    return value
