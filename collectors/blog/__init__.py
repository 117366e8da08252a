"""Blogs: RSS / Atom feeds of any flavour, WordPress REST posts and comments, pingbacks from comment feeds."""
