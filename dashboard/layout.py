"""Positions for the pictures: spheres as a network, chains as trees. Pure and deterministic (fixed seed)."""

from __future__ import annotations

import math

import igraph as ig
import polars as pl


def sphere_positions(spheres: pl.DataFrame, links: pl.DataFrame) -> pl.DataFrame:
    """`spheres` (sphere_id, …) with x, y added: spheres that share posts pull together (Kamada-Kawai)."""
    ids = spheres["sphere_id"].to_list()
    if not ids:
        return spheres.with_columns(pl.lit(0.0).alias("x"), pl.lit(0.0).alias("y"))
    index = {s: i for i, s in enumerate(ids)}
    edges, weights = [], []
    for row in links.iter_rows(named=True):
        if row["source"] in index and row["target"] in index:
            edges.append((index[row["source"]], index[row["target"]]))
            weights.append(float(row["shared_posts"]))
    g = ig.Graph(n=len(ids), edges=edges)
    # a circle as the fixed start, so the layout is the same on every run
    seed = [[math.cos(2 * math.pi * i / len(ids)), math.sin(2 * math.pi * i / len(ids))] for i in range(len(ids))]
    # Kamada-Kawai from a fixed start has no randomness; more shared posts make a shorter ideal edge length
    lengths = [1.0 / (1.0 + w) for w in weights] if weights else None
    coords = g.layout_kamada_kawai(seed=seed, weights=lengths) if len(ids) > 1 else [[0.0, 0.0]]
    return spheres.with_columns(pl.Series("x", [round(float(c[0]), 6) for c in coords]),
                                pl.Series("y", [round(float(c[1]), 6) for c in coords]))


def tree_positions(nodes: list[tuple[str, str | None]]) -> dict[str, tuple[float, float]]:
    """(node, parent) pairs -> (x = depth, y = leaf order): a tidy tree, leaves evenly spaced, parents centred."""
    children: dict[str | None, list[str]] = {}
    for node, parent in nodes:
        children.setdefault(parent, []).append(node)
    pos: dict[str, tuple[float, float]] = {}
    next_leaf = [0.0]

    def place(node: str, depth: int) -> float:
        kids = children.get(node, [])
        if not kids:
            y = next_leaf[0]
            next_leaf[0] += 1
        else:
            ys = [place(k, depth + 1) for k in kids]
            y = (min(ys) + max(ys)) / 2
        pos[node] = (float(depth), y)
        return y

    for root in children.get(None, []):
        place(root, 0)
    return pos
