"""Reading requests: each create route's body into the one create input, and its validation."""
