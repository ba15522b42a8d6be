"""Endpoint limits: in Redis across workers (two limiter instances stand for two workers), and in process."""

import os
import threading
import time
import uuid

import pytest

from judging.limits import LocalEndpointLimiter, RedisEndpointLimiter

REDIS_URL = os.environ.get("HYOKA_TEST_REDIS_URL")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="Redis is not reachable (bin/test sets HYOKA_TEST_REDIS_URL)")


def redis_limiter(endpoint, **limits):
    import redis

    options = {"concurrency": 2, "requests_per_minute": 0, "lease": 30, **limits}
    return RedisEndpointLimiter(redis.Redis.from_url(REDIS_URL), endpoint, prefix="hyoka:test:", **options)


def most_at_once(limiters, calls=12, hold=0.05):
    """Run ``calls`` holders over the limiters from threads; the most that held a slot at once."""
    stop, lock, state = threading.Event(), threading.Lock(), {"now": 0, "most": 0}

    def holder(limiter):
        token = limiter.acquire(stop)
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        time.sleep(hold)
        with lock:
            state["now"] -= 1
        limiter.release(token)

    threads = [threading.Thread(target=holder, args=(limiters[n % len(limiters)],)) for n in range(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return state["most"]


@needs_redis
class TestRedis:
    def test_concurrency_holds_across_workers(self):
        endpoint = uuid.uuid4().hex
        assert most_at_once([redis_limiter(endpoint, concurrency=3), redis_limiter(endpoint, concurrency=3)]) == 3

    def test_the_slot_of_a_killed_worker_frees_itself_when_its_lease_expires(self):
        endpoint = uuid.uuid4().hex
        dead = redis_limiter(endpoint, concurrency=1, lease=1)
        dead.acquire(threading.Event())  # never released, never renewed: the worker died
        alive = redis_limiter(endpoint, concurrency=1, lease=1)
        started = time.monotonic()
        assert alive.acquire(threading.Event()) is not None
        assert 0.8 <= time.monotonic() - started < 3

    def test_a_renewed_slot_is_kept(self):
        endpoint = uuid.uuid4().hex
        holder = redis_limiter(endpoint, concurrency=1, lease=1)
        holder.acquire(threading.Event())
        stop = threading.Event()
        threading.Timer(1.5, stop.set).start()
        for _ in range(3):
            time.sleep(0.4)
            holder.renew()
        assert redis_limiter(endpoint, concurrency=1, lease=1).acquire(stop) is None  # stopped while waiting

    def test_requests_per_minute_space_the_calls_after_a_one_second_burst(self):
        limiter = redis_limiter(uuid.uuid4().hex, concurrency=10, requests_per_minute=600)  # one per 100 ms
        started = time.monotonic()
        for _ in range(20):
            limiter.release(limiter.acquire(threading.Event()))
        assert 0.8 <= time.monotonic() - started < 2.0  # 10 in the burst, then 10 more at 100 ms

    def test_a_cool_down_holds_every_worker_back(self):
        endpoint = uuid.uuid4().hex
        redis_limiter(endpoint).cool_down(0.5)
        started = time.monotonic()
        redis_limiter(endpoint).acquire(threading.Event())
        assert time.monotonic() - started >= 0.45


class TestLocal:
    def test_concurrency_holds_within_the_process(self):
        endpoint = uuid.uuid4().hex
        limiter = LocalEndpointLimiter.shared(endpoint, 2, 0)
        assert LocalEndpointLimiter.shared(endpoint, 2, 0) is limiter  # every lane of the process shares it
        assert most_at_once([limiter]) == 2

    def test_a_cool_down_and_the_rate_limit(self):
        limiter = LocalEndpointLimiter(5, 600)
        limiter.cool_down(0.3)
        started = time.monotonic()
        for _ in range(12):
            limiter.release(limiter.acquire(threading.Event()))
        assert time.monotonic() - started >= 0.3 + 0.1
