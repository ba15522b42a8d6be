"""Limits on the calls to one endpoint (base URL + model): concurrency, requests per minute, cool-downs.

With Redis (production and the test suite: the Celery broker), the limits hold across
every worker process on every machine:

- concurrency is a semaphore kept as a sorted set of leases (token -> expiry, in Redis
  server time unless a clock is given, below). A holder renews its leases while its call runs; the slots of a worker
  killed with SIGKILL free themselves when their leases expire.
- requests per minute is a GCRA limiter (one "theoretical arrival time" per endpoint),
  spacing calls evenly and allowing a burst of one second's worth.
- a cool-down key, set when the endpoint answers 429 with Retry-After, holds every
  worker back until the time it names, instead of letting each discover the 429 alone.

All three are checked atomically by one Lua script per attempt.

Time comes from a clock (``RealClock``): how long a limit holds a call back is measured on it,
and a limiter waits through it. With Redis, ``clock=None`` (the default) reads Redis's own
time, one clock for every worker on every machine. Tests pass a clock whose time moves only
when a limiter waits, so what they measure does not depend on how busy the machine is.

Without Redis (the embedded default: kombu's filesystem broker), the same limits hold
per worker process only (a semaphore and a lock in memory). Run one worker process then
(bin/run does), or the endpoint sees the limits multiplied by the number of processes.
"""

import hashlib
import random
import threading
import time

from django.conf import settings

KEY_PREFIX = "hyoka:judge:"

# ARGV[1] is the time in milliseconds, or "" for Redis's own (the default: every worker reads one clock).
NOW = """
local function now_ms()
  if ARGV[1] ~= '' then return tonumber(ARGV[1]) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local now = now_ms()
"""

# Keys live a minute past what they hold, so that a forgotten endpoint's keys go away on their own; what they
# hold (lease expiries, the arrival time, the end of a cool-down) is compared with the clock, not with key TTLs.
ACQUIRE = NOW + """
local cool_until = tonumber(redis.call('GET', KEYS[3]) or '0')
if cool_until > now then return cool_until - now end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return -1 end
local interval = tonumber(ARGV[5])
if interval > 0 then
  local burst = tonumber(ARGV[6])
  local tat = tonumber(redis.call('GET', KEYS[2]) or '0')
  if tat < now then tat = now end
  local wait = tat - burst - now
  if wait > 0 then return wait end
  redis.call('SET', KEYS[2], tat + interval, 'PX', burst + interval + 60000)
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) * 2 + 60000)
return 0
"""

RENEW = NOW + """
for i = 3, #ARGV do redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2 + 60000)
return 0
"""

COOL_DOWN = NOW + """
local cool_until = now + tonumber(ARGV[2])
if tonumber(redis.call('GET', KEYS[1]) or '0') < cool_until then
  redis.call('SET', KEYS[1], cool_until, 'PX', tonumber(ARGV[2]) + 60000)
end
return 0
"""

IN_USE = NOW + """
return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')
"""


class RealClock:
    """Seconds on the machine's monotonic clock, and waits that a stop Event cuts short."""

    def now(self):
        return time.monotonic()

    def wait(self, stop, seconds):
        stop.wait(seconds)


REAL_CLOCK = RealClock()


def lease_seconds():
    """How long a claim or a slot outlives its last renewal (HYOKA_JUDGE_LEASE_SECONDS, default 30)."""
    return int(getattr(settings, "HYOKA_JUDGE_LEASE_SECONDS", 30))


def judge_redis_url():
    """The Redis that holds the limits: HYOKA_JUDGE_REDIS_URL, else the Celery broker when it is Redis."""
    explicit = getattr(settings, "HYOKA_JUDGE_REDIS_URL", "")
    if explicit:
        return explicit
    broker = settings.CELERY_BROKER_URL
    return broker if broker.startswith(("redis://", "rediss://")) else ""


def endpoint_id(base_url, model):
    return hashlib.sha256(f"{base_url.rstrip('/')}|{model}".encode()).hexdigest()[:24]


def limiter_for_connection(connection, spec):
    """The limits of a judge config's or model endpoint's endpoint, for the base URL and model a job froze."""
    return limiter_for(base_url=spec["base_url"], model=spec["model"], concurrency=connection.concurrency,
                       requests_per_minute=connection.requests_per_minute)


def limiter_for(*, base_url, model, concurrency, requests_per_minute):
    url = judge_redis_url()
    if url:
        import redis  # only where Redis is configured

        # One connection per thread in a call and the keeper's: redis-py's default pool stops at 100.
        client = redis.Redis.from_url(url, max_connections=2 * concurrency + 16)
        return RedisEndpointLimiter(
            client, endpoint_id(base_url, model), concurrency=concurrency,
            requests_per_minute=requests_per_minute, lease=lease_seconds(),
        )
    return LocalEndpointLimiter.shared(endpoint_id(base_url, model), concurrency, requests_per_minute)


class RedisEndpointLimiter:
    """The limits of one endpoint, held in Redis. One instance per worker lane; thread-safe.

    ``clock`` is an object with RealClock's two methods; None (production) reads Redis's time in the scripts
    and waits in real time. Every limiter of an endpoint must use the same kind of clock."""

    def __init__(self, redis_client, endpoint, *, concurrency, requests_per_minute, lease, prefix=KEY_PREFIX,
                 clock=None):
        self.redis = redis_client
        self.clock = clock or REAL_CLOCK
        self._clock_given = clock is not None
        self.keys = [f"{prefix}{endpoint}:slots", f"{prefix}{endpoint}:rpm", f"{prefix}{endpoint}:cool"]
        self.concurrency = concurrency
        self.interval_ms = int(60000 / requests_per_minute) if requests_per_minute else 0
        self.burst_ms = 1000 if self.interval_ms else 0
        self.lease_ms = lease * 1000
        self._acquire = redis_client.register_script(ACQUIRE)
        self._renew = redis_client.register_script(RENEW)
        self._cool_down = redis_client.register_script(COOL_DOWN)
        self._in_use = redis_client.register_script(IN_USE)
        self._held = set()
        self._lock = threading.Lock()

    def acquire(self, stop):
        """A slot token once the limits allow a call, or None when ``stop`` (an Event) is set first."""
        token = f"{threading.get_ident()}-{random.getrandbits(64):x}"
        poll = 0.005
        while not stop.is_set():
            verdict = self._acquire(keys=self.keys, args=[self._now_ms(), token, self.lease_ms, self.concurrency,
                                                          self.interval_ms, self.burst_ms])
            if verdict == 0:
                with self._lock:
                    self._held.add(token)
                return token
            if verdict > 0:  # milliseconds until the rate limit or a cool-down allows the next call
                self.clock.wait(stop, verdict / 1000)
            else:  # every slot is taken: poll, backing off, with jitter so that waiters do not march in step
                self.clock.wait(stop, poll * random.uniform(0.5, 1.5))
                poll = min(poll * 2, 0.05)
        return None

    def release(self, token):
        with self._lock:
            self._held.discard(token)
        self.redis.zrem(self.keys[0], token)

    def renew(self):
        """Extend the leases of the slots this instance holds; call well within the lease."""
        with self._lock:
            tokens = list(self._held)
        if tokens:
            self._renew(keys=self.keys[:1], args=[self._now_ms(), self.lease_ms, *tokens])

    def cool_down(self, seconds):
        self._cool_down(keys=self.keys[2:], args=[self._now_ms(), max(1, int(seconds * 1000))])

    def in_use(self):
        """Slots currently held, across every worker (for tests and the job page)."""
        return self._in_use(keys=self.keys[:1], args=[self._now_ms()])

    def _now_ms(self):
        """The clock's time in milliseconds for the scripts, or "" for them to read Redis's."""
        return round(self.clock.now() * 1000) if self._clock_given else ""


class LocalEndpointLimiter:
    """The same limits within one process, for the embedded default without Redis."""

    _shared = {}
    _shared_lock = threading.Lock()

    @classmethod
    def shared(cls, endpoint, concurrency, requests_per_minute):
        """The process's one limiter of an endpoint (every lane of a worker shares it), on the real clock."""
        key = (endpoint, concurrency, requests_per_minute)
        with cls._shared_lock:
            if key not in cls._shared:
                cls._shared[key] = cls(concurrency, requests_per_minute)
            return cls._shared[key]

    def __init__(self, concurrency, requests_per_minute, clock=REAL_CLOCK):
        self.clock = clock
        self._slots = threading.BoundedSemaphore(concurrency)
        self._lock = threading.Lock()
        self._interval = 60.0 / requests_per_minute if requests_per_minute else 0.0
        self._next_at = 0.0  # GCRA's theoretical arrival time, on the clock
        self._cool_until = 0.0

    def acquire(self, stop):
        while not stop.is_set():
            if self._slots.acquire(timeout=0.05):
                wait = self._reserve()
                if wait <= 0:
                    return "local"
                self._slots.release()
                self.clock.wait(stop, wait)
        return None

    def _reserve(self):
        now = self.clock.now()
        with self._lock:
            if self._cool_until > now:
                return self._cool_until - now
            if not self._interval:
                return 0
            at = max(self._next_at, now)
            if at - 1.0 > now:  # a burst of one second's worth, as in Redis
                return at - 1.0 - now
            self._next_at = at + self._interval
            return 0

    def release(self, token):
        self._slots.release()

    def renew(self):
        pass

    def cool_down(self, seconds):
        with self._lock:
            self._cool_until = max(self._cool_until, self.clock.now() + seconds)
