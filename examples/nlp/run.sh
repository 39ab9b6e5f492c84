#!/usr/bin/env bash
# Translation providers compared with cm-nlp, offline by default: a local translator speaking
# LibreTranslate's protocol stands in for a LibreTranslate server. PROVIDERS=libre,google,mymemory
# adds online providers to the comparison. Then VADER sentiment of the same texts (offline).
# Needs cm-nlp on PATH (see README.md); writes everything under out/, settings in out/cm.
set -euo pipefail
cd "$(dirname "$0")"
providers=${PROVIDERS:-libre}
mkdir -p out/cm
export CM_HOME=$PWD/out/cm       # this example's own settings, cache and token
key=example-key
rm -f out/translator.port
python3 translator.py --port-file out/translator.port --key "$key" &
server=$!
trap 'kill $server' EXIT
for _ in $(seq 50); do [ -s out/translator.port ] && break; sleep 0.1; done
port=$(cat out/translator.port)
cat > out/cm/settings.yaml <<YAML
credentials:
  libre:
    api_key: $key
nlp:
  providers:
    libre:
      endpoint: http://127.0.0.1:$port
YAML
chmod 600 out/cm/settings.yaml
cm-nlp translate --provider libre --from en --to de --file reviews.txt --no-cache
cm-nlp benchmark --providers "$providers" --from en --to de --text "A small earthquake today." \
  --repeat 10 --plot out/latency.png
cm-nlp sentiment --file reviews.txt
