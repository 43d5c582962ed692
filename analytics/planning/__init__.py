"""网格调整推演: re-drawing grids and predicting what the new grids would need and do.

``partition``: buildings into grids (re-partitions, least-change plans, hand splits and
merges). ``queueing``: the response model calibrated on today's grids. ``whatif``: a scope's
buildings and grids, the model's calibration, and the predicted figures of a plan.
``scenario``: the one flow from what the user chose to a plan beside today's grids, used by
the command line (``python -m analytics whatif``) and the page (``pages/whatif.py``).
"""
