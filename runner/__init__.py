"""OmniSat runner: the process that owns PyTorch, reads the rasters and runs OmniSat for the QGIS plugin."""

__version__ = "0.1.0"
PROTOCOL_VERSION = 1
