"""The fictional demo district 渝兴区, built deterministically from a seed.

``geo``: its streets, communities, grids and buildings. ``build``: its grid workers and three
years of events, written with the geography into a fresh DuckDB file (:func:`build.build_demo`,
``python -m analytics demo``). The business categories are shared with the importer and live
in ``analytics.catalogue``.
"""
