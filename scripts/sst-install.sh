#!/usr/bin/env bash
# Installs SST's platform into .sst/platform (component sources, @pulumi/aws and its types) so that
# `npm run typecheck:infra` can check sst.config.ts and stacks/ against the real SST 4 API.
#
# Offline-friendly: it needs the npm registry only. SST_SKIP_DEPENDENCY_CHECK stops the sst binary
# from downloading Pulumi and Bun from GitHub (neither is needed to install types), SST_NO_BUN makes it
# install the platform's packages with npm, and no AWS credentials are read. Idempotent: does nothing
# when .sst/platform already matches the installed sst version. ~300 MB under .sst/ (gitignored).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f node_modules/sst/package.json ]; then
  echo "sst-install: node_modules/sst is missing; run 'npm ci' first" >&2
  exit 1
fi
want="$(node -p "require('./node_modules/sst/package.json').version")"
have="$(cat .sst/platform/version 2>/dev/null || true)"
if [ -f .sst/platform/config.d.ts ] && [ "$have" = "$want" ]; then
  echo "sst-install: .sst/platform is already SST $want"
  exit 0
fi

export SST_SKIP_DEPENDENCY_CHECK=1 SST_TELEMETRY_DISABLED=1 SST_NO_BUN=1
export SST_STAGE="${SST_STAGE:-dev}"
start=$SECONDS
npx --no-install sst install
if [ ! -f .sst/platform/config.d.ts ] || [ ! -d .sst/platform/node_modules/@pulumi/aws ]; then
  echo "sst-install: 'sst install' finished but .sst/platform is incomplete" >&2
  exit 1
fi
echo "sst-install: SST $want platform installed in $((SECONDS - start)) s ($(du -sh .sst | cut -f1) under .sst/)"
