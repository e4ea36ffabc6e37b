"""teu: a hackable, daemonless OCI container engine.

Layers (a lower one never imports a higher one), see docs/architecture.md:
oci -> runtime -> image -> registry -> network -> engine -> build -> compose -> api/cli
"""

__version__ = "0.1.0"


def __getattr__(name: str):  # noqa: ANN202 - lazy: `import teu` stays free for the runtime
    """teu.Client and teu.from_env, loaded on first use (teu.api is not light)."""
    if name in ("Client", "from_env"):
        from teu import api

        return getattr(api, name)
    raise AttributeError(f"module 'teu' has no attribute {name!r}")
