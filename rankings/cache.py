"""Published rankings never change: their bodies are cached under a version that each
publication bumps (core.cache)."""

from core.cache import VersionedCache

RANKINGS = VersionedCache("cadres:rankings", seconds=300)
