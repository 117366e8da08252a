"""Bluesky: the public AppView (``app.bsky.*`` XRPC), without login."""
