"""The in-memory rate-limit storage: limits hold, no thread per hit, expired counters go."""

from __future__ import annotations

import threading
import time

from surveys.security import ProcessMemoryStorage, limiter


def test_the_default_memory_storage_is_the_one_without_an_expiry_thread(make_app):
    make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
    assert type(limiter.storage) is ProcessMemoryStorage


def test_counting_hits_starts_no_thread(monkeypatch):
    storage = ProcessMemoryStorage()
    started = []

    class CountedTimer(threading.Timer):
        def start(self):
            started.append(self)
            super().start()

    monkeypatch.setattr(threading, "Timer", CountedTimer)
    for _ in range(5):
        storage.incr("address", expiry=60)
        storage.acquire_entry("moving", limit=100, expiry=60)
        time.sleep(0.02)  # limits' own storage starts a new thread once its last one ended
    assert started == []
    assert storage.get("address") == 5


def test_expired_counters_are_removed_by_a_later_hit(monkeypatch):
    storage = ProcessMemoryStorage()
    storage.incr("gone", expiry=0.01)
    storage.acquire_entry("gone-window", limit=5, expiry=0.01)
    monkeypatch.setattr(storage, "_next_sweep", time.monotonic())  # a sweep is due
    time.sleep(0.02)
    storage.incr("other", expiry=60)
    assert "gone" not in storage.storage and "gone" not in storage.expirations
    assert not storage.events.get("gone-window")
    assert storage.get("other") == 1


def test_a_counter_not_yet_expired_survives_a_sweep(monkeypatch):
    storage = ProcessMemoryStorage()
    storage.incr("kept", expiry=60)
    monkeypatch.setattr(storage, "_next_sweep", time.monotonic())
    storage.incr("other", expiry=60)
    assert storage.get("kept") == 1
