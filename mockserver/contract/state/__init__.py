"""The state interface every face steers, and its in-memory implementation (store, journal)."""
