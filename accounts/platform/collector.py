"""Python's cyclic garbage collector, run less often around work that allocates hundreds of
thousands of short-lived objects that form (almost) no cycles.

At the default threshold (700 allocations) the collector runs thousands of times during such
work and walks every young object each time, to free next to nothing: reference counting frees
them. The threshold of the youngest generation is raised for that work only and set back after
it, however it ends; collections still happen, so what does form cycles is still freed.
"""

import contextlib
import gc

# Allocations between two passes over the youngest generation while the work runs.
FEWER = 100_000


@contextlib.contextmanager
def fewer_collections(young: int = FEWER):
    """Raise the youngest generation's threshold to `young` for the block (never lower it:
    a gunicorn worker runs with a higher one, gunicorn.conf.py)."""
    thresholds = gc.get_threshold()
    gc.set_threshold(max(young, thresholds[0]), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
