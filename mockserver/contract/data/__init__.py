"""Data the core reads: the packaged schemas and catalogue, the sample media, the ECMA regex bridge."""
