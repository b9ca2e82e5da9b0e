"""The package's version, recorded in every manifest (one place, read by ``sim.__version__`` too)."""

__version__ = "0.1.0"
