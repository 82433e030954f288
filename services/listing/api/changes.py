"""The change feed: every committed change in commit order, without identity numbers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.listing import service
from services.listing.api.deps import ChangeReaders, HashKeyDep, ReadSessionDep
from shared.schemas.listing import ChangeFeed

router = APIRouter(prefix="/v1/changes", tags=["changes"])

INT64_MAX = 2**63 - 1


@router.get("", response_model=ChangeFeed)
def get_changes(
    _p: ChangeReaders,
    session: ReadSessionDep,
    hash_key: HashKeyDep,
    after: Annotated[int, Query(ge=0, le=INT64_MAX)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> ChangeFeed:
    """Changes after cursor `after` (0: from the start), at most `limit`; ask again with
    `next_after` until it is null. Cursors are gap-free and follow commit order."""
    return service.read_changes(session=session, after=after, limit=limit, hash_key=hash_key)
