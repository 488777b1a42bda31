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


class LayoutCache:
    """A thread-safe LRU of layout objects, bounded by count and by total weight."""

    def __init__(self, size: int = DEFAULT_SIZE, max_weight: int = MAX_WEIGHT) -> None:
        self.size = size
        self.max_weight = max_weight
        self._items: OrderedDict[str, tuple[Json, int]] = OrderedDict()
        self._weight = 0
        self._lock = threading.Lock()
        self._pending: dict[str, threading.Event] = {}  # keys a thread is laying out now
        self.hits = 0
        self.misses = 0

    def resize(self, size: int) -> None:
        with self._lock:
            self.size = max(0, size)
            self._evict()

    def get(self, key: str) -> Json | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item[0]

    def get_or_claim(self, key: str, wait: float) -> Json | None:
        """The cached layout; else None, and the caller lays it out and then calls `put` (or
        `release`). When another thread is already laying out the same structure (a class running
        the same example at once), wait for it, up to `wait` seconds, instead of repeating its work."""
        while True:
            with self._lock:
                item = self._items.get(key)
                if item is not None:
                    self._items.move_to_end(key)
                    self.hits += 1
                    return item[0]
                pending = self._pending.get(key)
                if pending is None:
                    self._pending[key] = threading.Event()
                    self.misses += 1
                    return None
            if not pending.wait(wait):  # it is taking too long: lay it out here too
                with self._lock:
                    self.misses += 1
                return None
            # done (or given up): look again; it may have failed or been evicted already

    def release(self, key: str) -> None:
        """A claimed key that will not be put after all: the threads waiting for it go on."""
        with self._lock:
            event = self._pending.pop(key, None)
        if event is not None:
            event.set()

    def put(self, key: str, layout: Json, weight: int) -> None:
        self._put(key, layout, weight)
        self.release(key)

    def _put(self, key: str, layout: Json, weight: int) -> None:
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
