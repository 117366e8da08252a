"""Mastodon: the public REST API of any instance, without login."""
