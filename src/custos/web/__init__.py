"""The HTTP edge: routers, the error renderer, templates."""
