"""The figures cache as every app sees it: `cached(name, function, **kwargs)` returns
`function(**kwargs)`, kept until the company's next write.

`reporting.freshness` implements it (its version per tenant is bumped by every committed write)
and installs itself here when the reporting app is ready, so a lower app (projects' overview
tab) caches its sums without importing a higher one. Without it, nothing is cached.
"""

from collections.abc import Callable

_implementation: Callable | None = None


def cached(name: str, function, **kwargs):
    if _implementation is None:
        return function(**kwargs)
    return _implementation(name, function, **kwargs)


def install(implementation: Callable) -> None:
    global _implementation
    _implementation = implementation
