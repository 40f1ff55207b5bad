"""The post-crisis summaries of a report: each crisis cell of the brand open during the period (closed, or still
open at its end), as models/crisis_cells.py sums it up (the same figures the channel showed when it closed)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models.crisis_cells import CellSummary, CrisisCell, summarise


def crisis_cells(session: Session, brand_id: int, start: datetime, end: datetime, as_of: datetime) -> list[CellSummary]:
    cells = session.scalars(
        select(CrisisCell)
        .where(
            CrisisCell.brand_id == brand_id,
            CrisisCell.opened_at < end,
            or_(CrisisCell.closed_at.is_(None), CrisisCell.closed_at >= start),
        )
        .order_by(CrisisCell.opened_at, CrisisCell.id)
    )
    return [summarise(session, cell, as_of) for cell in cells]
