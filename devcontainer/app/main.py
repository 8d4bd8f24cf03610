"""The FastAPI app: served by uvicorn behind nginx (http://127.0.0.1:8000/)."""
from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.database import async_engine, get_async_db
from app.features.notes.router import router as notes_router

app = FastAPI(title="devstack sample backend")
app.include_router(notes_router)


# Close the pooled connections while the event loop still runs: on every
# reload uvicorn stops this process, and connections left to the garbage
# collector would try to close on a loop that is gone.
@app.on_event("shutdown")
async def close_database_connections():
    await async_engine.dispose()


@app.get("/")
async def root():
    return {"message": "Hello from FastAPI"}


@app.get("/health")
async def health(db: AsyncSession = Depends(get_async_db)):
    """200 when the database answers a query, 503 (with the reason) when not."""
    try:
        await db.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means "not healthy"; say which
        return JSONResponse(status_code=503, content={"status": "error", "database": str(exc.__class__.__name__)})
    return {"status": "ok", "database": "reachable"}
