#!/usr/bin/env bash
# Rebuilds the self-hosted GraphiQL assets into graph_api/static/graphiql/.
# Needs Node.js >= 18 and npm; reaches only the npm registry (npm ci).
# Usage (from anywhere): bash graphiql/build.sh
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"

command -v node >/dev/null || { echo "build.sh: node is not installed" >&2; exit 1; }
command -v npm >/dev/null || { echo "build.sh: npm is not installed" >&2; exit 1; }

# Exact versions from package-lock.json; no install scripts are needed.
npm ci --ignore-scripts --no-audit --no-fund

node build.mjs
