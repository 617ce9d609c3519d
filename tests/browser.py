"""How every browser test starts Debian's Chromium: headless, and quiet on a closed network."""

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
# Without the two background flags Chromium keeps trying hosts this machine cannot reach.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
