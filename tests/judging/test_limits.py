"""Endpoint limits: in Redis across workers (two limiter instances stand for two workers), and in process.

What a limit does with time is measured on a StepClock, whose time moves only when a limiter waits; what it
does with concurrent holders is measured by counting them. Neither depends on how busy the machine is.
"""

import os
import threading
import uuid

import pytest

from judging.limits import LocalEndpointLimiter, RedisEndpointLimiter

REDIS_URL = os.environ.get("HYOKA_TEST_REDIS_URL")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="Redis is not reachable (bin/test sets HYOKA_TEST_REDIS_URL)")


class StepClock:
    """Time that moves only by what a limiter waits (or a test passes), from an arbitrary start, in seconds.

    ``stop_after(seconds)`` gives an Event that is set once that much more time has passed: a waiter that was
    told to give up then."""

    def __init__(self):
        self.at = 5_000_000.0
        self._deadlines = []

    def now(self):
        return self.at

    def wait(self, stop, seconds):
        self.pass_time(seconds)

    def pass_time(self, seconds):
        self.at += seconds
        for at, event in self._deadlines:
            if self.at >= at:
                event.set()

    def stop_after(self, seconds):
        event = threading.Event()
        self._deadlines.append((self.at + seconds, event))
        return event


def redis_limiter(endpoint, **limits):
    import redis

    options = {"concurrency": 2, "requests_per_minute": 0, "lease": 30, **limits}
    return RedisEndpointLimiter(redis.Redis.from_url(REDIS_URL), endpoint, prefix="hyoka:test:", **options)


def acquired_at(limiter, clock, calls):
    """The clock's time at each of ``calls`` acquisitions in a row, each released at once."""
    times = []
    for _ in range(calls):
        token = limiter.acquire(clock.stop_after(60))
        assert token is not None, "no slot within a minute"
        limiter.release(token)
        times.append(clock.now())
    return times


def most_at_once(limiters, limit, calls=12):
    """Run ``calls`` holders over the limiters from threads; the most that held a slot at once.

    The first holders keep their slots until ``limit`` are held together (or 30 s pass: the limiter then let
    too few in), so the count reaches the limit however the threads are scheduled; once it was reached,
    holders release at once. A limiter that let more in than it should shows it in the count."""
    stop, full, lock, state = threading.Event(), threading.Event(), threading.Lock(), {"now": 0, "most": 0}

    def holder(limiter):
        token = limiter.acquire(stop)
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
            if state["now"] >= limit:
                full.set()
        full.wait(30)
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
        limiters = [redis_limiter(endpoint, concurrency=3), redis_limiter(endpoint, concurrency=3)]
        assert most_at_once(limiters, limit=3) == 3
        assert limiters[0].in_use() == 0  # every slot was given back

    def test_a_released_slot_is_free_again_at_once(self):
        clock = StepClock()
        endpoint = uuid.uuid4().hex
        first, second = (redis_limiter(endpoint, concurrency=1, clock=clock) for _ in range(2))
        token = first.acquire(threading.Event())
        assert second.acquire(clock.stop_after(5)) is None  # taken: the second worker gives up
        first.release(token)
        started = clock.now()
        assert second.acquire(clock.stop_after(60)) is not None and clock.now() == started

    def test_the_slot_of_a_killed_worker_frees_itself_when_its_lease_expires(self):
        clock = StepClock()
        endpoint = uuid.uuid4().hex
        dead = redis_limiter(endpoint, concurrency=1, lease=10, clock=clock)
        dead.acquire(threading.Event())  # never released, never renewed: the worker died
        alive = redis_limiter(endpoint, concurrency=1, lease=10, clock=clock)
        started = clock.now()
        assert alive.acquire(clock.stop_after(60)) is not None
        # Not before the lease ran out; then within one poll (at most 75 ms).
        assert 10 <= clock.now() - started < 10.1

    def test_a_renewed_slot_is_kept(self):
        clock = StepClock()
        endpoint = uuid.uuid4().hex
        holder = redis_limiter(endpoint, concurrency=1, lease=10, clock=clock)
        holder.acquire(threading.Event())
        for _ in range(3):
            clock.pass_time(8)  # most of the lease
            holder.renew()
        waiter = redis_limiter(endpoint, concurrency=1, lease=10, clock=clock)
        # 24 s after the slot was taken, more than two leases, it is still held; the waiter gives up 9 s later.
        assert waiter.acquire(clock.stop_after(9)) is None
        assert waiter.in_use() == 1

    def test_requests_per_minute_space_the_calls_after_a_one_second_burst(self):
        clock = StepClock()
        limiter = redis_limiter(uuid.uuid4().hex, concurrency=10, requests_per_minute=480, clock=clock)  # 125 ms
        started = clock.now()
        times = acquired_at(limiter, clock, 15)
        gaps = [later - earlier for earlier, later in zip(times, times[1:])]
        assert times[0] == started  # the first call waits for nothing
        assert gaps == [0] * 8 + [0.125] * 6  # a second's worth (8 calls) after the first, then one per 125 ms

    def test_a_cool_down_holds_every_worker_back(self):
        clock = StepClock()
        endpoint = uuid.uuid4().hex
        redis_limiter(endpoint, clock=clock).cool_down(0.5)
        started = clock.now()
        assert redis_limiter(endpoint, clock=clock).acquire(clock.stop_after(60)) is not None
        assert clock.now() - started == pytest.approx(0.5)

    def test_a_shorter_cool_down_does_not_cut_a_longer_one(self):
        clock = StepClock()
        endpoint = uuid.uuid4().hex
        redis_limiter(endpoint, clock=clock).cool_down(2)
        redis_limiter(endpoint, clock=clock).cool_down(0.5)
        started = clock.now()
        assert redis_limiter(endpoint, clock=clock).acquire(clock.stop_after(60)) is not None
        assert clock.now() - started == pytest.approx(2)


class TestLocal:
    def test_concurrency_holds_within_the_process(self):
        endpoint = uuid.uuid4().hex
        limiter = LocalEndpointLimiter.shared(endpoint, 2, 0)
        assert LocalEndpointLimiter.shared(endpoint, 2, 0) is limiter  # every lane of the process shares it
        assert most_at_once([limiter], limit=2) == 2

    def test_a_cool_down_and_the_rate_limit(self):
        clock = StepClock()
        limiter = LocalEndpointLimiter(5, 480, clock=clock)  # one call per 125 ms
        limiter.cool_down(0.5)
        started = clock.now()
        times = acquired_at(limiter, clock, 12)
        assert times[0] - started == 0.5  # nothing before the cool-down ends
        gaps = [later - earlier for earlier, later in zip(times, times[1:])]
        assert gaps == [0] * 8 + [0.125] * 3  # a second's worth after the first, then one per 125 ms


@needs_redis
def test_more_than_a_hundred_threads_hold_slots_at_once(settings):
    """redis-py's default pool stops at 100 connections; a lane of 128 threads needs more."""
    from judging.limits import limiter_for

    settings.HYOKA_JUDGE_REDIS_URL = REDIS_URL
    limiter = limiter_for(base_url=f"http://127.0.0.1:9/{uuid.uuid4().hex}", model="m", concurrency=128,
                          requests_per_minute=0)
    stop, held, errors, barrier = threading.Event(), [], [], threading.Barrier(128)

    def hold():
        try:
            token = limiter.acquire(stop)
            held.append(token)
            barrier.wait(10)
            limiter.release(token)
        except Exception as error:  # noqa: BLE001 (the test reports what went wrong in a thread)
            errors.append(error)

    threads = [threading.Thread(target=hold) for _ in range(128)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert errors == [] and len(held) == 128
