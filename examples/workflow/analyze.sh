#!/usr/bin/env bash
# cloudmesh-cc style job: report progress with "# cloudmesh" lines.
echo "# cloudmesh status=running progress=1 pid=$$"
echo "analyze: working in $(pwd)"
echo "# cloudmesh status=running progress=50"
echo "analyze" >> "${CM_CC_DIR:-.}/../steps.txt"
echo "# cloudmesh status=done progress=100"
