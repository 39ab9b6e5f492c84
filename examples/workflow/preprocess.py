"""A Python job: reports progress through cm_cc.progress (the cloudmesh line)."""

import os

from cm_cc import progress

rows = int(os.environ.get("ROWS", "10"))
for step in range(1, 5):
    progress(step * 25)
print(f"preprocessed {rows} rows")
