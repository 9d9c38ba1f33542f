"""Jobs: the lifecycle over a clock, signed task ids, and queued job plans."""
