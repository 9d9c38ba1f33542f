"""Shared state backends (they do I/O, so they live outside the core): Redis and the backend opener."""
