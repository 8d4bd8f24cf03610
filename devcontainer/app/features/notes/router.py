"""The sample feature's endpoints: list and create notes."""
from typing import List

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.database import get_async_db
from app.features.notes.models import Note

router = APIRouter(prefix="/notes", tags=["notes"])


class NoteIn(BaseModel):
    title: str
    body: str = ""


class NoteOut(NoteIn):
    id: int


@router.get("", response_model=List[NoteOut])
async def list_notes(db: AsyncSession = Depends(get_async_db)):
    rows = await db.execute(select(Note).order_by(Note.id))
    return [NoteOut(id=n.id, title=n.title, body=n.body) for n in rows.scalars()]


@router.post("", response_model=NoteOut, status_code=201)
async def create_note(note: NoteIn, db: AsyncSession = Depends(get_async_db)):
    row = Note(title=note.title, body=note.body)
    db.add(row)
    await db.commit()
    return NoteOut(id=row.id, title=row.title, body=row.body)
