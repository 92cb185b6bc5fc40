"""The embeddable SVG badge of a paper: "ShortScience | 3 summaries", drawn here (a dozen
lines of SVG need no library). Text lengths are fixed with textLength, so the badge looks the
same whatever font the viewer has."""

from django.utils.html import escape

LABEL = "ShortScience"
# Width per character of 11px Verdana, on average, and the padding either side.
CHAR_WIDTH = 6.6
PADDING = 6


def summaries_text(count):
    if count is None:
        return "not here yet"
    if count == 0:
        return "no summaries yet"
    return f"{count} summar{'y' if count == 1 else 'ies'}"


def badge_svg(count):
    """The badge for a paper with `count` public summaries (None: not on the site)."""
    value = summaries_text(count)
    left = round(len(LABEL) * CHAR_WIDTH + 2 * PADDING)
    right = round(len(value) * CHAR_WIDTH + 2 * PADDING)
    width = left + right
    color = "#2f6f4f" if count else "#777"
    title = escape(f"{LABEL}: {value}")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" '
        f'aria-label="{title}"><title>{title}</title>'
        f'<rect width="{left}" height="20" fill="#444"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="{color}"/>'
        '<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="{PADDING}" y="14" textLength="{left - 2 * PADDING}">{LABEL}</text>'
        f'<text x="{left + PADDING}" y="14" textLength="{right - 2 * PADDING}">'
        f"{escape(value)}</text></g></svg>"
    )
