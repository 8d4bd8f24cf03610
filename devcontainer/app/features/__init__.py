"""Every feature's models, imported so that Base.metadata knows all tables.

migrations/env.py imports this package: a model that is not imported here is
invisible to `devstack migrate` (autogenerate would find nothing to do, or
drop its table). Add one line per new feature.
"""
from app.features.notes.models import Note  # noqa: F401

__all__ = ["Note"]
