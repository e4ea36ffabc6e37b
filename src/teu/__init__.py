"""teu: a hackable, daemonless OCI container engine.

Layers (a lower one never imports a higher one), see docs/architecture.md:
oci -> runtime -> image -> registry -> network -> engine -> build -> compose -> api/cli
"""

__version__ = "0.1.0"
