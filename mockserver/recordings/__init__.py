"""Recordings on disk: the folder format, vcrpy cassettes, and a folder attached to an engine."""
