"""Read once per request: what a page asks several times and that only a
change of its own rows can alter (e.g. the plans a user is involved in,
`plans.models.involvement`, asked by every list a page filters).

`once_per_request(key, compute)` keeps the value for the rest of the request
the middleware `request_memo` wraps; outside a request (a task, a command, a
service called by a test) it computes every time, so nothing is ever read
stale there. An app whose rows a memoized value derives from calls `forget()`
when they change (from signals, so that every path is covered); the value
is then read again on its next use within the same request.
"""

import contextvars

_memo = contextvars.ContextVar("pdca_request_memo", default=None)


def request_memo(get_response):
    """Middleware: one memo per request, gone when the response is returned."""

    def middleware(request):
        token = _memo.set({})
        try:
            return get_response(request)
        finally:
            _memo.reset(token)

    return middleware


def once_per_request(key, compute):
    memo = _memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def forget(*args, **kwargs):
    """Forget every value kept for this request (usable as a signal receiver)."""
    memo = _memo.get()
    if memo:
        memo.clear()
