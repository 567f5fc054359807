"""Redis connection pool that starts the embedded Redis before the first connection."""

from redis import ConnectionPool

from prm import embedded


class EmbeddedAwarePool(ConnectionPool):
    @classmethod
    def from_url(cls, url, **kwargs):
        embedded.ensure_redis()
        return super().from_url(url, **kwargs)
