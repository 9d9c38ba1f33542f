"""Injection: what the mock does wrong on purpose, its sources (Prefer, rules) and its wording."""
