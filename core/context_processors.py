"""What every page template reads (config/settings.py TEMPLATES)."""

from .display import elder_mode


def display(request) -> dict:
    """`elder_mode`: the page is drawn in 长辈模式 (core/display.py)."""
    return {"elder_mode": elder_mode(request)}
