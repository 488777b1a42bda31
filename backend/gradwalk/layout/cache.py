"""Layouts cached by graph structure, so the same graph with new numbers is laid out once.

The key hashes what a picture depends on: node ids, op symbols, roles, labels,
groups and edges, plus the engine settings. Data and grad are left out: training
steps and edited leaves change only numbers, and box sizes never depend on them.

The cache is a bounded LRU: at most `size` layouts (the `layout_cache_size` setting,
passed in by the caller, or DEFAULT_SIZE) and at most MAX_WEIGHT drawn boxes in all,
so a few 50,000-node layouts cannot eat the memory. Cached layouts are shared:
callers serialise them and must not mutate them.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Any

import orjson

DEFAULT_SIZE = 128
MAX_WEIGHT = 2_000_000  # drawn boxes over all cached layouts

Json = dict[str, Any]


def structure_key(graph: Json, *extra: object) -> str:
    """A digest of the graph's structure (never its numbers) and of `extra` settings."""
    h = hashlib.blake2b(digest_size=20)
    h.update(orjson.dumps([repr(e) for e in extra]))
    h.update(
        orjson.dumps(
            [
                [n["id"], n.get("symbol") or n.get("op"), n.get("role"), n.get("label"), n.get("group")]
                for n in graph["nodes"]
            ]
        )
    )
    h.update(orjson.dumps([[e["source"], e["target"]] for e in graph["edges"]]))
    return h.hexdigest()


class Claim:
    """One thread's layout in progress, which others with the same structure wait for."""

    __slots__ = ("done", "key", "layout")

    def __init__(self, key: str) -> None:
        self.key = key
        self.done = threading.Event()
        self.layout: Json | None = None


class LayoutCache:
    """A thread-safe LRU of layout objects, bounded by count and by total weight."""

    def __init__(self, size: int = DEFAULT_SIZE, max_weight: int = MAX_WEIGHT) -> None:
        self.size = size
        self.max_weight = max_weight
        self._items: OrderedDict[str, tuple[Json, int]] = OrderedDict()
        self._weight = 0
        self._lock = threading.Lock()
        self._pending: dict[str, Claim] = {}  # structures a thread is laying out now
        self.hits = 0
        self.misses = 0

    def resize(self, size: int) -> None:
        with self._lock:
            self.size = max(0, size)
            self._evict()

    def get(self, key: str) -> Json | None:
        with self._lock:
            hit = self._hit(key)
            if hit is None:
                self.misses += 1
            return hit

    def _hit(self, key: str) -> Json | None:
        """The cached layout, counted and made most recent (the lock held)."""
        item = self._items.get(key)
        if item is None:
            return None
        self._items.move_to_end(key)
        self.hits += 1
        return item[0]

    def get_or_claim(self, key: str) -> tuple[Json | None, Claim | None]:
        """(the cached layout, None); or (None, a claim): the caller lays it out and then calls
        `finish(claim, layout)`, in a `finally` (layout None when it failed). When another thread
        already holds the claim on this structure (a class running the same example at once),
        wait for it and share its layout instead of repeating its work: (its layout, None), or
        (None, None) when it failed, and the caller lays it out alone."""
        with self._lock:
            hit = self._hit(key)
            if hit is not None:
                return hit, None
            claim = self._pending.get(key)
            if claim is None:
                claim = self._pending[key] = Claim(key)
                self.misses += 1
                return None, claim
        claim.done.wait()  # the holder finishes in a `finally`: its layout is bounded by dot's timeout
        with self._lock:
            if claim.layout is not None:
                self.hits += 1
            else:
                self.misses += 1
        return claim.layout, None

    def finish(self, claim: Claim, layout: Json | None, weight: int = 1) -> None:
        """End `claim`: cache `layout` (unless None) and hand it to the threads waiting on it."""
        if layout is not None:
            self.put(claim.key, layout, weight)
        with self._lock:
            if self._pending.get(claim.key) is claim:
                del self._pending[claim.key]
        claim.layout = layout
        claim.done.set()

    def put(self, key: str, layout: Json, weight: int) -> None:
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._weight -= old[1]
            if self.size <= 0 or weight > self.max_weight:
                return
            self._items[key] = (layout, weight)
            self._weight += weight
            self._evict()

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._weight = 0
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._items)

    def _evict(self) -> None:
        while self._items and (len(self._items) > self.size or self._weight > self.max_weight):
            _, (_, w) = self._items.popitem(last=False)
            self._weight -= w


CACHE = LayoutCache()
