"""Custos: a privacy policy turned into software that keeps every promise in it."""

__version__ = "0.1.0"
