#!/usr/bin/env bash
# Makes the keys and the federation file of the compose federation: docker/keys/<site>/site.key (+ .pub) and
# docker/keys/federation.json, with `reservoir keygen` (run `npm run build` first). Never replaces a key.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cli="$here/../dist/apps/cli/main.js"
[ -f "$cli" ] || { echo "make-federation: $cli is missing: run npm run build first" >&2; exit 1; }
keys="$here/keys"
entries=()
for site in site-a site-b site-c; do
  if [ ! -f "$keys/$site/site.key" ]; then
    entry=$(node "$cli" keygen "$site" --out "$keys/$site" --endpoint "http://$site:8080" | tail -n 1)
    printf '%s\n' "$entry" > "$keys/$site/entry.json"
  fi
  entries+=("$(cat "$keys/$site/entry.json")")
done
(IFS=,; printf '{"sites":[%s]}\n' "${entries[*]}") > "$keys/federation.json"
# The brokers run as an unprivileged user in the containers: the keys must stay private to it (mode 0600) but be
# readable through the mount; adjust ownership to the image's user if your engine maps ids.
echo "make-federation: wrote $keys/federation.json for site-a, site-b, site-c"
