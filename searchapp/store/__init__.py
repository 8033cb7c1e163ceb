"""The index on disk: its schema, its compact codec, opening, locking, writing and snapshots.

The only code that touches Whoosh's private internals (:mod:`~searchapp.store.internals`,
:mod:`~searchapp.store.codec`); both the indexing side and the search side go through it.
"""
