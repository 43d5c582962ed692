"""Each view once, as a ``ui.panel.Panel``: ``build(ctx, **choices)`` in ``<view>.py``, used by
its page (``pages/<view>.py`` lays it out) and by the 汇报材料 deck (``ui.report``), which calls
every builder in ``ui.report.VIEWS`` with the page's defaults."""
