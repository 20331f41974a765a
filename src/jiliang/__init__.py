"""Jiliang (计量): an open platform for running a measurement system."""

__version__ = "0.1.0"
