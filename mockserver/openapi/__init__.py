"""The generated OpenAPI documents (build time only)."""
