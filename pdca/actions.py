"""One answer to "what may this user do with this object now".

Each app's permissions module has, per kind of object, one function that
returns the `Actions` a user has: every action with "allowed" or the reason
it is refused. The pages render their buttons from it, the API lists the
allowed names in `available_actions` (and the refusals with their reasons);
the services ask the same predicates again when the action is taken.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Action:
    name: str
    allowed: bool
    reason: str = ""

    def __bool__(self):
        return self.allowed


class Actions:
    """An ordered set of `Action`s; `actions.approve` is the `Action` named
    "approve" (False when the object offers no such action at all)."""

    def __init__(self, actions=()):
        self._actions = {}
        for action in actions:
            self.add(action.name, action.allowed, action.reason)

    def add(self, name, allowed=True, reason=""):
        self._actions[name] = Action(
            name, bool(allowed) and not reason, "" if allowed and not reason else reason
        )
        return self

    def refuse(self, name, reason):
        return self.add(name, False, reason)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return self._actions.get(name.replace("-", "_"), Action(name, False))

    def __getitem__(self, name):
        return self.__getattr__(name)

    def __iter__(self):
        return iter(self._actions.values())

    def __bool__(self):
        return any(action.allowed for action in self)

    def allowed(self):
        """The names of the allowed actions, in the API's spelling (with hyphens)."""
        return [action.name.replace("_", "-") for action in self if action.allowed]

    def refused(self):
        """{name: reason} of the actions refused with a reason."""
        return {
            action.name.replace("_", "-"): action.reason
            for action in self
            if not action.allowed and action.reason
        }
