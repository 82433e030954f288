"""RFC 7396 JSON Merge Patch: how the year's what-if (POST /v1/simulations {"year", "patch"})
changes a model.

A patch object changes the target member by member: `null` removes the member, an object is
merged into the member (an absent or non-object member counts as {}), anything else (an
array, a string, a number) replaces it whole. A patch that is no object replaces the target.
Nesting is bounded (`MAX_DEPTH`), far beyond any model's, so a hostile patch cannot exhaust
the stack.
"""

from __future__ import annotations

from typing import Any

MAX_DEPTH = 32


class PatchTooDeep(ValueError):
    """The patch nests objects deeper than MAX_DEPTH."""


def merge_patch(target: Any, patch: Any, *, _depth: int = 0) -> Any:
    """The target with the patch applied (neither argument is changed)."""
    if not isinstance(patch, dict):
        return patch
    if _depth >= MAX_DEPTH:
        raise PatchTooDeep(f"the patch nests objects more than {MAX_DEPTH} levels deep")
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value, _depth=_depth + 1)
    return out
