"""Print the forecast the service answered and keep it in report.json: python3 report.py RATE CHANCE."""

from __future__ import annotations

import json
import sys
from pathlib import Path

rate = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
chance = json.loads(Path(sys.argv[2]).read_text(encoding="utf-8"))
report = {"rate_m5": rate, "chance_m6_10y": chance}
Path("report.json").write_text(json.dumps(report) + "\n", encoding="utf-8")
print(f"events of magnitude 5 or more a year: {rate:.3f}")
print(f"chance of magnitude 6 or more within 10 years: {chance:.1%}")
