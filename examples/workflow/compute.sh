#!/usr/bin/env bash
# cloudmesh-cc style job: report progress with "# cloudmesh" lines.
echo "# cloudmesh status=running progress=1 pid=$$"
echo "compute: working in $(pwd)"
echo "# cloudmesh status=running progress=50"
echo "compute" >> "${CM_CC_DIR:-.}/../steps.txt"
echo "# cloudmesh status=done progress=100"
