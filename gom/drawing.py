"""Pictures drawn with cairo: the colour ramp shared by graph pictures, heatmaps, and bar tables
(for what a matrix of many datasets is too big to show)."""

from __future__ import annotations

from pathlib import Path

import cairocffi as cairo
import numpy as np

from gom.io import atomic_path

# Light-to-dark blue ramp (0 -> 1).
_RAMP = [(0.78, 0.86, 0.94), (0.42, 0.62, 0.82), (0.13, 0.36, 0.66), (0.03, 0.19, 0.42)]


def ramp(t: float) -> tuple[float, float, float]:
    t = min(max(t, 0.0), 1.0) * (len(_RAMP) - 1)
    i = min(int(t), len(_RAMP) - 2)
    f = t - i
    return tuple(a + (b - a) * f for a, b in zip(_RAMP[i], _RAMP[i + 1]))


def _title(ctx, title: str, y: float) -> None:
    """The picture's title in bold at the top left, leaving the body font selected."""
    ctx.select_font_face("sans-serif", cairo.FONT_SLANT_NORMAL, cairo.FONT_WEIGHT_BOLD)
    ctx.set_font_size(15)
    ctx.set_source_rgb(0.1, 0.1, 0.1)
    ctx.move_to(12, y)
    ctx.show_text(title)
    ctx.select_font_face("sans-serif", cairo.FONT_SLANT_NORMAL, cairo.FONT_WEIGHT_NORMAL)
    ctx.set_font_size(12)


def heatmap(
    path: str | Path,
    values: np.ndarray,
    row_labels: list[str],
    col_labels: list[str],
    title: str,
    low_is_dark: bool = True,
) -> None:
    """A labelled heatmap PNG with each cell's value written in it."""
    cell, left, top = 90, 24 + 8 * max(len(s) for s in row_labels), 90
    width = left + cell * len(col_labels) + 20
    height = top + cell * len(row_labels) + 30
    surface = cairo.ImageSurface(cairo.FORMAT_ARGB32, width, height)
    ctx = cairo.Context(surface)
    ctx.set_source_rgb(1, 1, 1)
    ctx.paint()
    finite = values[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    _title(ctx, title, 24)
    for j, label in enumerate(col_labels):
        ctx.move_to(left + j * cell + 6, top - 10)
        ctx.show_text(label[:12])
    for i, label in enumerate(row_labels):
        ctx.set_source_rgb(0.1, 0.1, 0.1)
        ctx.move_to(12, top + i * cell + cell / 2 + 4)
        ctx.show_text(label)
        for j in range(len(col_labels)):
            v = values[i, j]
            t = 0.5 if hi == lo else (v - lo) / (hi - lo)
            shade = ramp(1 - t if low_is_dark else t) if np.isfinite(v) else (0.9, 0.9, 0.9)
            ctx.set_source_rgb(*shade)
            ctx.rectangle(left + j * cell, top + i * cell, cell - 2, cell - 2)
            ctx.fill()
            dark = sum(shade) / 3 < 0.5
            ctx.set_source_rgb(*((1, 1, 1) if dark else (0.1, 0.1, 0.1)))
            ctx.move_to(left + j * cell + 18, top + i * cell + cell / 2 + 4)
            ctx.show_text(f"{v:.3f}" if np.isfinite(v) else "n/a")
    with atomic_path(path) as tmp:
        surface.write_to_png(str(tmp))
    surface.finish()


def bar_table(path: str | Path, title: str, labels: list[str], values: list[float], texts: list[str]) -> None:
    """A PNG of one labelled horizontal bar per row (``texts`` written beside each bar)."""
    row, left, top, bar = 26, 24 + 7 * max([len(s) for s in labels] + [10]), 50, 360
    width, height = left + bar + 160, top + row * max(len(labels), 1) + 20
    surface = cairo.ImageSurface(cairo.FORMAT_ARGB32, width, height)
    ctx = cairo.Context(surface)
    ctx.set_source_rgb(1, 1, 1)
    ctx.paint()
    _title(ctx, title, 26)
    hi = max(values, default=0) or 1
    for i, (label, value, text) in enumerate(zip(labels, values, texts)):
        y = top + i * row
        ctx.set_source_rgb(0.1, 0.1, 0.1)
        ctx.move_to(12, y + 15)
        ctx.show_text(label)
        ctx.set_source_rgb(*ramp(0.3 + 0.7 * value / hi))
        ctx.rectangle(left, y + 3, max(2.0, bar * value / hi), row - 8)
        ctx.fill()
        ctx.set_source_rgb(0.1, 0.1, 0.1)
        ctx.move_to(left + bar * value / hi + 8, y + 15)
        ctx.show_text(text)
    with atomic_path(path) as tmp:
        surface.write_to_png(str(tmp))
    surface.finish()
