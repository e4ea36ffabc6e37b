"""Registry storage: one interface (base.Storage), one backend (filesystem)."""
