"""The event-loop HTTP server under `LiveServer`: bind, connections, exchange, idle spin."""
