#!/usr/bin/env bash
# The main job: deploy the sample app (examples/app) onto a local `vm` host with `pulumi up`, then
# print the URL and what it served. Idempotent: a second run reuses the host and the stack, and its
# `pulumi up` changes nothing.
#   scripts/demo.sh            deploy (or re-deploy) and show the app
#   scripts/demo.sh --destroy  pulumi destroy, then remove the demo host
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/setup.sh vm
source scripts/env.sh
stack=demo

if [ "${1:-}" = "--destroy" ]; then
  if pulumi stack select "$stack" 2>/dev/null; then
    pulumi destroy --yes --stack "$stack"
    pulumi stack rm --yes "$stack"
  fi
  npx ts-node scripts/demo-host.ts --remove
  echo "demo removed"
  exit 0
fi

printf '\n==> Demo host\n'
host_json="$(npx ts-node scripts/demo-host.ts)"
field() { node -e 'const h = JSON.parse(process.argv[1]); process.stdout.write(String(h[process.argv[2]]))' "$host_json" "$1"; }

printf '\n==> pulumi up (stack %s)\n' "$stack"
pulumi stack select --create "$stack" >/dev/null
pulumi config set host 127.0.0.1
pulumi config set port "$(field sshPort)"
pulumi config set user "$(field user)"
pulumi config set publicHttpPort "$(field httpPort)"
pulumi config set --secret privateKey < "$(field privateKeyPath)"
pulumi up --yes

url="$(pulumi stack output url)"
printf '\n==> The app at %s\n' "$url"
for path in "" healthz static/style.css; do
  printf '\n--- GET %s%s\n' "$url" "$path"
  curl -fsS --max-time 20 -D - "$url$path" | sed -n '1,40p'
done
printf '\nDeployed. Open %s — run scripts/demo.sh --destroy to remove it.\n' "$url"
