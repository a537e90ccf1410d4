"""Spreadsheets in: reading an uploaded .xlsx or .csv safely, matching its columns by name,
checking every row into a preview, keeping the upload between preview and confirm.

The kinds of records (the elderly register, staff accounts) live in their areas
(``visits/importing.py``, ``people/importing.py``) as an ``Importer``; this package holds
what every kind shares.
"""
