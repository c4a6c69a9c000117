"""The board link: run blobs on a (possibly emulated) Cortex-M55 board over a serial line."""

from .client import Board

__all__ = ["Board"]
