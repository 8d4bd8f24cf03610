"""The database: engines, the declarative Base, and session dependencies.

Two URLs from the environment (compose/db-mysql.env or db-postgres.env sets
both, by DB_ENGINE in compose/.env): DATABASE_URL (mysql+pymysql or
postgresql+psycopg2, synchronous: Alembic and scripts) and ASYNC_DATABASE_URL
(mysql+aiomysql or postgresql+asyncpg: the app's request handlers).
Works with SQLAlchemy 1.4 and 2.x.
"""
import os
from typing import AsyncIterator, Iterator

from sqlalchemy import create_engine
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import Session, declarative_base, sessionmaker

DATABASE_URL = os.environ.get("DATABASE_URL", "mysql+pymysql://app:app@127.0.0.1:3306/app?charset=utf8mb4")
ASYNC_DATABASE_URL = os.environ.get(
    "ASYNC_DATABASE_URL",
    DATABASE_URL.replace("mysql+pymysql://", "mysql+aiomysql://", 1).replace(
        "postgresql+psycopg2://", "postgresql+asyncpg://", 1
    ),
)

# pool_pre_ping: a connection the server closed while idle (a restarted db
# container) is replaced instead of failing the next request.
engine = create_engine(DATABASE_URL, pool_pre_ping=True, pool_recycle=3600, future=True)
async_engine = create_async_engine(ASYNC_DATABASE_URL, pool_pre_ping=True, pool_recycle=3600)

SessionLocal = sessionmaker(bind=engine, autoflush=False, expire_on_commit=False, future=True)
AsyncSessionLocal = sessionmaker(bind=async_engine, class_=AsyncSession, autoflush=False, expire_on_commit=False)

# Every model derives from Base; migrations/env.py hands Base.metadata to
# Alembic's autogenerate.
Base = declarative_base()


def get_db() -> Iterator[Session]:
    """A synchronous session for one request (FastAPI dependency)."""
    with SessionLocal() as session:
        yield session


async def get_async_db() -> AsyncIterator[AsyncSession]:
    """An asynchronous session for one request (FastAPI dependency)."""
    async with AsyncSessionLocal() as session:
        yield session
