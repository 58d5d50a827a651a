"""Clearway's business capabilities as plain Python: no Temporal, no FastAPI.

Activities (`activities/`), the API (`api/`) and the CLI (`cli/`) call these packages; each
aggregate has one store that never commits, so the caller owns the transaction.
"""
