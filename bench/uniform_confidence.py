#!/usr/bin/env python3
"""Writes a confidence.feather with confidence 1.0 for every paraphrase of
the first K MyriadLAMA questions: the weighted methods read one, and their
cost does not depend on the values (benchmarks only).

  uniform_confidence.py MYRIADLAMA_TEST_JSONL OUT.feather K
"""
import json
import sys

import pyarrow as pa
import pyarrow.feather as feather

src, dst, k = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = [json.loads(line) for line in open(src)][:k]
uuids, paraphrases = [], []
for r in rows:
    for q in r["manual"] + r["auto"]:
        uuids.append(r["uuid"])
        paraphrases.append(q)
feather.write_feather(pa.table({"uuid": uuids, "paraphrase": paraphrases,
                                "confidence": [1.0] * len(uuids)}),
                      dst, compression="uncompressed")
