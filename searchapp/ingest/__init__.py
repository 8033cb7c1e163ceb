"""The indexing side: files -> articles -> tagged articles -> documents written to the store.

``readers`` (one module per format) make articles; ``tagging`` (spaCy NER with the ``gazetteer``
and ``entities`` normalisation, ``dates`` resolution) tags them, in local processes (``parallel``)
or on a Dask cluster (``cluster``); ``places`` rolls places up to their governorate and country;
``dedupe`` groups near-duplicates; ``documents`` decides what the index holds of an article;
``run`` is the indexing run; ``evaluate`` measures the tagging against a gold set.
"""
