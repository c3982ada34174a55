"""zonekit: tools for the office creating a 网络市场监管与服务示范区.

The library never writes to the user's input files; the CLI in ``zonekit.cli`` is a thin layer over it.
"""

__version__ = "0.1.0"
