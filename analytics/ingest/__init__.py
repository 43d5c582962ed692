"""Importing a district's own files: event exports and the reference tables.

- ``presets``: which header is which column (the one place a preset and its title live),
  header finding, automatic recognition, user mappings.
- ``reading``: a path or an upload's bytes into a table of text cells (CSV, Excel, JSON),
  within resource bounds; :class:`~analytics.ingest.reading.ImportFileError`.
- ``values``: parsing cells: times, numbers, yes/no, the spellings of coded columns.
- ``units``: streets, communities and grids: names normalised, resolved (``Directory``),
  created.
- ``rows``: the rows under validation, and how every import ends: duplicates settled,
  upsert with its read-back checks, quarantine, the ``imports`` record (``ImportResult``).
- ``events``: the events importer (``import_events``) and the page's ``preview_file``.
- ``reference``: the grids, buildings and workers importer (``import_reference``).

Nothing is re-exported here: import from the module that owns the name.
"""
