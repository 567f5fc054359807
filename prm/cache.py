"""The Redis cache: a pool that starts the embedded Redis before the first connection, and one client per pool."""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from redis import ConnectionPool

from prm import embedded


class EmbeddedAwarePool(ConnectionPool):
    @classmethod
    def from_url(cls, url, **kwargs):
        embedded.ensure_redis()
        return super().from_url(url, **kwargs)


class _OneClientPerPool(RedisCacheClient):
    """Django's client builds a new redis.Redis (its table of ~170 reply handlers included) for every cache call:
    about 0.1 ms, several times on every request (the vendor of the host, the session, the menus, ...). A
    redis.Redis holds no connection of its own and is safe to share between threads: the pool lends one per
    command, and gives a forked process new connections."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _OneClientPerPool
