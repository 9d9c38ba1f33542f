"""The API's routes as objects: the router, the engine that picks a route, and each route."""
