"""The same models on Apache Spark (``influence model --engine spark``); optional: ``pip install '.[spark]'``."""
