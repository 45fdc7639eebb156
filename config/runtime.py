"""Settings of the server process itself: how Python's garbage collector runs.

Measured (docs/benchmarks.md, "Garbage collection"): under load, Python's default thresholds
(700, 10, 10) made the collector walk the whole heap every few seconds, pauses of 70–200 ms
in which no socket is served, because the objects of messages in flight live just long enough
to be promoted to the oldest generation. The server therefore moves what start-up built
(modules, settings, compiled policies: about 250,000 objects) out of the collector's view once
the application is loaded (`gc.freeze`), and collects the youngest generation only after
`PHARE_GC_THRESHOLDS`' first number of new objects, by which time most of a message's objects
are gone. Reference cycles are still collected; only less often.
"""

from __future__ import annotations

import gc

from django.core.exceptions import ImproperlyConfigured

# The default (docs/decisions.md): a young-generation pass every 50,000 new container
# objects (a few tens of milliseconds at most), the middle one every 20 of those, the full
# one every 100 of those at most.
DEFAULT_GC_THRESHOLDS = "50000,20,100"


def parse_gc_thresholds(value: str) -> tuple[int, int, int] | None:
    """`PHARE_GC_THRESHOLDS`: three positive integers, or "python" (or empty) to keep
    Python's own collector settings untouched."""
    text = value.strip().lower()
    if text in ("", "python"):
        return None
    try:
        numbers = tuple(int(part) for part in text.split(","))
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"PHARE_GC_THRESHOLDS must be three integers like {DEFAULT_GC_THRESHOLDS!r} or 'python', got {value!r}"
        ) from exc
    if len(numbers) != 3 or min(numbers) < 1:
        raise ImproperlyConfigured(
            f"PHARE_GC_THRESHOLDS must be three positive integers like {DEFAULT_GC_THRESHOLDS!r}, got {value!r}"
        )
    return numbers  # type: ignore[return-value]


def tune_garbage_collector(thresholds: tuple[int, int, int] | None) -> bool:
    """Call once the application is loaded; returns whether anything was changed."""
    if thresholds is None:
        return False
    gc.collect()  # start-up's own garbage first, so that it is not frozen with the rest
    gc.freeze()
    gc.set_threshold(*thresholds)
    return True
