"""What the Redis broker holds: how many tasks wait on each queue (kombu's Redis transport keeps a queue as a list,
and its priorities as lists named "QUEUE\\x06\\x16N")."""

from __future__ import annotations

import redis

PRIORITY_SEPARATOR = "\x06\x16"
UNACKED = "unacked"  # kombu's hash of the tasks taken by a worker and not yet acknowledged


def client(broker_url: str) -> redis.Redis:
    return redis.Redis.from_url(broker_url, socket_timeout=3, socket_connect_timeout=3)


def depth(connection: redis.Redis, queue: str) -> int:
    keys = [queue, *(f"{queue}{PRIORITY_SEPARATOR}{step}" for step in range(1, 10))]
    return sum(int(connection.llen(key)) for key in keys)  # type: ignore[arg-type]


def unacked(connection: redis.Redis) -> int:
    return int(connection.hlen(UNACKED))  # type: ignore[arg-type]
