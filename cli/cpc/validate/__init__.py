"""`cpc validate`: Great Expectations suites over a built DuckDB warehouse, beside dbt's tests.

:mod:`cpc.validate.suites` says what is expected (frames and checks), :mod:`.settings` the
thresholds, :mod:`.run` runs them with GX and :mod:`.docs` makes its Data Docs open offline.
Importing this package does not import GX.
"""
