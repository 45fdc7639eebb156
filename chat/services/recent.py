"""Each sender's recent texts per room or person: the windows screening reads
(moderation/policy/window.py), so that a phone number, a handle or a meeting split over
several messages is seen whole.

Filled by the posting pipeline's screen phase (chat.services.post.PostBatch.screen) with every
text it screens, the refused ones included: a sender who splits a number and retries after a
refusal is exactly who the window is for.

In process, not in the shared cache, on purpose: the screen phase runs on the event loop for
room messages (chat.posting), where no I/O may happen, and a dictionary read costs a fraction
of a microsecond where a cache round trip costs hundreds. It is enough because a sender's
posts go through one process: room messages through their socket's process, direct messages
through the posting threads of that same process. The gap: a sender with two sockets held by
two server processes (two tabs, a reconnect landing elsewhere) has one window per process, so
a number split between the two is not joined. Restarting a process forgets its windows.

Bounded: `WINDOW_MESSAGES` texts per (sender, room or person), each cut to its last
`REMEMBERED_CHARS` characters, forgotten after `WINDOW_SECONDS`, and at most `MAX_WINDOWS`
windows, the least recently used dropped first (a few megabytes at most). One lock: the event
loop and the posting threads of a process share the store, and each operation holds it for a
few dictionary steps.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable

from moderation.gate import WINDOW_MESSAGES, WINDOW_SECONDS, RecentText

# Windows kept per process at most: far above the senders a process has spoken for within
# `WINDOW_SECONDS`, a bound on memory rather than a tuning point.
MAX_WINDOWS = 20_000

WindowKey = tuple[int, Hashable]  # (sender id, ("room", id) or ("person", id))


class RecentTexts:
    """The last texts of each (sender, room or person), oldest first, for a few minutes."""

    def __init__(self, *, per_window: int = WINDOW_MESSAGES, seconds: float = WINDOW_SECONDS,
                 max_windows: int = MAX_WINDOWS, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_window = per_window
        self.seconds = seconds
        self.max_windows = max_windows
        self.clock = clock
        self._windows: OrderedDict[WindowKey, deque[tuple[float, RecentText]]] = OrderedDict()
        self._lock = threading.Lock()

    def texts(self, sender_id: int, target: Hashable) -> tuple[RecentText, ...]:
        """The sender's texts to `target` still within the window, oldest first."""
        key = (sender_id, target)
        oldest = self.clock() - self.seconds
        with self._lock:
            window = self._windows.get(key)
            if window is None:
                return ()
            while window and window[0][0] < oldest:
                window.popleft()
            if not window:
                del self._windows[key]
                return ()
            return tuple(text for _, text in window)

    def add(self, sender_id: int, target: Hashable, text: RecentText) -> None:
        key = (sender_id, target)
        with self._lock:
            window = self._windows.get(key)
            if window is None:
                window = self._windows[key] = deque(maxlen=self.per_window)
                while len(self._windows) > self.max_windows:
                    self._windows.popitem(last=False)
            else:
                self._windows.move_to_end(key)
            window.append((self.clock(), text))

    def clear(self) -> None:
        with self._lock:
            self._windows.clear()

    def __len__(self) -> int:
        return len(self._windows)


# The process's windows (see the module's docstring for why one per process is enough).
recent_texts = RecentTexts()
