"""bench/leaderboard.py's settings: the project's, with the bench-only URLconf (never the app's)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.leaderboard_urls"
