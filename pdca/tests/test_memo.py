"""`pdca.memo`: a value read once per request, and only inside a request."""

from pdca import memo


def _in_request(view):
    return memo.request_memo(lambda request: view())(object())


def test_a_value_is_computed_once_per_request_and_forgotten_after_it():
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    assert _in_request(lambda: [memo.once_per_request("k", compute) for _ in range(3)]) == [1, 1, 1]
    # A new request computes afresh; outside any request every call computes.
    assert _in_request(lambda: memo.once_per_request("k", compute)) == 2
    assert [memo.once_per_request("k", compute) for _ in range(2)] == [3, 4]


def test_forget_makes_the_next_use_read_again_within_the_same_request():
    values = iter(["before", "after"])

    def view():
        first = memo.once_per_request("k", lambda: next(values))
        memo.forget()
        return first, memo.once_per_request("k", lambda: next(values))

    assert _in_request(view) == ("before", "after")
