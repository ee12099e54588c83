"""Astitray: click-to-dial for organisations that run their own IP PBX."""

__version__ = "0.1.0"
API_VERSION = 1
