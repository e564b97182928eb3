"""The public reads of stalls (site list, stall view), read by everyone who walks past a
poster: cached for 30 seconds under a version that writes bump (core.cache)."""

from core.cache import VersionedCache

PUBLIC = VersionedCache("stalls:public", seconds=30)
