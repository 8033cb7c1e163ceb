#!/bin/bash
# Issue #11 before/after: CPU time of `searchapp index --processes 1` (old and new checkouts) and of spaCy
# NER-only on the same paragraphs. Expects /tmp/cmp/r2000.jsonl (bench/ingest.py write_subset, 2,000
# Reuters articles) and the old commit in a worktree at /work/wt/old.
PY=/work/main/.venv/bin/python
ingest() { rm -rf /tmp/cmp/cx-$1; PYTHONPATH=$2 /usr/bin/time -f "$1 cpu %U user %S sys %e wall" $PY -c "from searchapp.cli import main; main()" index --index-dir /tmp/cmp/cx-$1 --processes 1 --quiet /tmp/cmp/r2000.jsonl 2>&1 | grep -E "cpu|^read" ; }
spacy() { /usr/bin/time -f "spacy cpu %U user %S sys %e wall" $PY - <<'PY' 2>&1 | grep -E "cpu|words"
import sys; sys.path.insert(0, "/work/main/bench"); sys.path.insert(0, "/work/main")
from ingest import load_articles, spacy_reference
from pathlib import Path
arts = load_articles(Path("/tmp/cmp/r2000.jsonl"), None)
paras = [p for a in arts for p in a.paragraphs]
print("words", sum(len(p.split()) for p in paras), "seconds", round(spacy_reference(paras, 1), 1))
PY
}
for round in 1 2; do spacy; ingest old /work/wt/old; ingest new /work/main; done
