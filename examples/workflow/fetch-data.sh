#!/usr/bin/env bash
# cloudmesh-cc style job: report progress with "# cloudmesh" lines.
echo "# cloudmesh status=running progress=1 pid=$$"
echo "fetch-data: working in $(pwd)"
echo "# cloudmesh status=running progress=50"
echo "fetch-data" >> "${CM_CC_DIR:-.}/../steps.txt"
echo "# cloudmesh status=done progress=100"
