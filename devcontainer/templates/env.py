"""Alembic's environment for the backend (installed by `devstack migrate --bootstrap`).

- The project root (the directory of alembic.ini) is put on sys.path, so `app`
  imports from wherever Alembic is run.
- Base.metadata, with every feature's models imported (app/features), is the
  target of autogenerate.
- The URL comes from DATABASE_URL when set (the container's environment),
  else from alembic.ini's sqlalchemy.url.
"""
import os
import sys
from logging.config import fileConfig

from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config
sys.path.insert(0, os.path.dirname(os.path.abspath(config.config_file_name or "alembic.ini")))

from app.core.database import Base  # noqa: E402
import app.features  # noqa: E402,F401  (registers every model on Base.metadata)

if config.config_file_name is not None:
    fileConfig(config.config_file_name)

url = os.environ.get("DATABASE_URL")
if url:
    # ConfigParser would read a '%' in a percent-encoded password as interpolation.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))

target_metadata = Base.metadata


def include_name(name, type_, parent_names):
    """Autogenerate's view of what the database has (reflected names only).

    `devstack reset --keep-data` sets DEVSTACK_AUTOGENERATE_FROM_EMPTY: the new
    initial revision must create the whole schema, as on an empty database,
    although the kept tables are there (the database is stamped with it).
    """
    if os.environ.get("DEVSTACK_AUTOGENERATE_FROM_EMPTY") == "1":
        return type_ == "schema"
    return True


def run_migrations_offline() -> None:
    """Emit SQL to stdout without a database connection (`devstack db sql`)."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run against the database."""
    connectable = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            compare_type=True,
            include_name=include_name,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
