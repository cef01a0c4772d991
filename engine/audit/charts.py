"""Small inline SVG charts for the HTML report: no script, no external file, text in the page font.

Stage: audit (rendering). Input: numbers from summary.json. Output: SVG markup strings with a
<title> for screen readers and hover text. Raises nothing.
"""
from __future__ import annotations

from html import escape

AGREE = "#1b7f79"
DISAGREE = "#d95f02"
NO_RULE = "#9e9e9e"
NOT_COMPARED = "#d9d9d9"
BASELINE = "#222222"
GRID = "#e3e3e3"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def rate_bars(rows: list[dict], *, width: int = 560, label_width: int = 200, title: str = "") -> str:
    """Horizontal bars of a rate per row, with the majority baseline as a black tick and the
    95% interval as a whisker. rows: {label, value, baseline?, ci?, note?}."""
    bar_h, gap, top = 18, 10, 22
    plot = width - label_width - 70
    height = top + len(rows) * (bar_h + gap) + 24
    out = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
           f'aria-label="{escape(title)}">', f"<title>{escape(title)}</title>"]
    x0 = label_width
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        x = x0 + tick * plot
        out.append(f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 22}" stroke="{GRID}"/>')
        out.append(f'<text x="{x:.1f}" y="{height - 8}" font-size="11" text-anchor="middle" fill="#555">{tick:.0%}</text>')
    for i, row in enumerate(rows):
        y = top + i * (bar_h + gap)
        label = row["label"] if len(row["label"]) <= 32 else row["label"][:31] + "\u2026"
        out.append(f'<text x="{x0 - 8}" y="{y + bar_h - 5}" font-size="12" text-anchor="end">'
                   f'<title>{escape(row["label"])}</title>{escape(label)}</text>')
        value = row.get("value")
        hover = f'{row["label"]}: {_pct(value)}'
        if row.get("baseline") is not None:
            hover += f', majority baseline {_pct(row["baseline"])}'
        if row.get("note"):
            hover += f' ({row["note"]})'
        if value is not None:
            out.append(f'<rect x="{x0}" y="{y}" width="{max(0.5, value * plot):.1f}" height="{bar_h}" fill="{AGREE}">'
                       f'<title>{escape(hover)}</title></rect>')
        ci = row.get("ci")
        if ci:
            lo, hi = x0 + ci[0] * plot, x0 + ci[1] * plot
            mid = y + bar_h / 2
            out.append(f'<line x1="{lo:.1f}" y1="{mid}" x2="{hi:.1f}" y2="{mid}" stroke="#0b3d3a" stroke-width="1.2"/>')
            for x in (lo, hi):
                out.append(f'<line x1="{x:.1f}" y1="{mid - 4}" x2="{x:.1f}" y2="{mid + 4}" stroke="#0b3d3a" stroke-width="1.2"/>')
        if row.get("baseline") is not None:
            bx = x0 + row["baseline"] * plot
            out.append(f'<line x1="{bx:.1f}" y1="{y - 3}" x2="{bx:.1f}" y2="{y + bar_h + 3}" stroke="{BASELINE}" '
                       f'stroke-width="3"><title>{escape("majority baseline " + _pct(row["baseline"]))}</title></line>')
        text = _pct(value) + (f'  {row["note"]}' if row.get("note") else "")
        out.append(f'<text x="{x0 + plot + 6}" y="{y + bar_h - 5}" font-size="12">{escape(text)}</text>')
    out.append("</svg>")
    return "".join(out)


def confusion(matrix: dict, *, title: str = "Confusion matrix") -> str:
    """Predicted (rows: overturn, uphold, no rule) x actual (overturned, upheld), shaded by count."""
    rows = [("engine: certify (Overturn)", matrix["predicted_overturned"]),
            ("engine: non-certify (Uphold)", matrix["predicted_upheld"]),
            ("engine: no rule", matrix.get("no_rule", {"overturned": 0, "upheld": 0}))]
    cols = ["overturned", "upheld"]
    total = max(1, max(r[c] for _, r in rows for c in cols))
    cell_w, cell_h, left, top = 110, 44, 200, 40
    width, height = left + cell_w * 2 + 10, top + cell_h * 3 + 10
    out = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
           f'aria-label="{escape(title)}">', f"<title>{escape(title)}</title>"]
    for j, col in enumerate(cols):
        out.append(f'<text x="{left + j * cell_w + cell_w / 2}" y="{top - 22}" font-size="12" text-anchor="middle" '
                   f'font-weight="600">reviewer:</text>')
        out.append(f'<text x="{left + j * cell_w + cell_w / 2}" y="{top - 8}" font-size="12" text-anchor="middle" '
                   f'font-weight="600">{col.capitalize()}</text>')
    for i, (label, row) in enumerate(rows):
        y = top + i * cell_h
        out.append(f'<text x="{left - 8}" y="{y + cell_h / 2 + 4}" font-size="12" text-anchor="end">{escape(label)}</text>')
        for j, col in enumerate(cols):
            count = row[col]
            x = left + j * cell_w
            if i == 2:
                fill = NO_RULE
            else:
                fill = AGREE if (i == 0) == (col == "overturned") else DISAGREE
            opacity = 0.12 + 0.88 * count / total if count else 0.05
            dark = opacity > 0.55
            what = "agree" if i < 2 and fill == AGREE else ("disagree" if i < 2 else "not covered")
            out.append(f'<rect x="{x + 1}" y="{y + 1}" width="{cell_w - 2}" height="{cell_h - 2}" fill="{fill}" '
                       f'fill-opacity="{opacity:.2f}"><title>{escape(f"{label}, reviewer {col}: {count} ({what})")}</title></rect>')
            out.append(f'<text x="{x + cell_w / 2}" y="{y + cell_h / 2 + 5}" font-size="15" text-anchor="middle" '
                       f'font-weight="600" fill="{"#fff" if dark else "#111"}">{count}</text>')
    out.append("</svg>")
    return "".join(out)


def stacked(parts: list[tuple[str, int, str]], *, width: int = 560, title: str = "") -> str:
    """One horizontal bar split into parts (label, count, colour), with a legend below."""
    total = sum(count for _, count, _ in parts) or 1
    height = 64
    out = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
           f'aria-label="{escape(title)}">', f"<title>{escape(title)}</title>"]
    x = 0.0
    for label, count, colour in parts:
        w = count / total * width
        if w > 0:
            out.append(f'<rect x="{x:.1f}" y="4" width="{w:.1f}" height="24" fill="{colour}">'
                       f'<title>{escape(f"{label}: {count} ({count / total:.0%})")}</title></rect>')
            if w > 34:
                out.append(f'<text x="{x + w / 2:.1f}" y="21" font-size="12" text-anchor="middle" fill="#fff" '
                           f'font-weight="600">{count}</text>')
        x += w
    lx = 0
    for label, count, colour in parts:
        out.append(f'<rect x="{lx}" y="40" width="12" height="12" fill="{colour}"/>')
        text = f"{label} ({count})"
        out.append(f'<text x="{lx + 16}" y="50" font-size="12">{escape(text)}</text>')
        lx += 24 + 7 * len(text)
    out.append("</svg>")
    return "".join(out)
