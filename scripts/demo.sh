#!/usr/bin/env bash
# The main job: deploy the sample app (examples/app) onto a local host with `pulumi up`, then print
# the URL and what it served. The host is a container the stack itself creates (LocalSandbox) when
# the docker plugin is installed, else a `vm` test host. Idempotent: a second run's `pulumi up`
# changes nothing.
#   scripts/demo.sh            deploy (or re-deploy) and show the app
#   scripts/demo.sh --destroy  pulumi destroy (which removes the sandbox), then any harness demo host
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/setup.sh vm
source scripts/env.sh
stack=demo

# With the docker plugin installed, the stack creates its own host (LocalSandbox) inside `pulumi up`;
# without it, a test host started by the harness stands in and the stack is pointed at it.
sandbox=0
[ -f "$PULUMI_HOME/.flaskstack-docker-plugin" ] && sandbox=1

if [ "${1:-}" = "--destroy" ]; then
  if pulumi stack select "$stack" 2>/dev/null; then
    pulumi destroy --yes --stack "$stack"
    pulumi stack rm --yes "$stack"
  fi
  npx ts-node scripts/demo-host.ts --remove
  echo "demo removed"
  exit 0
fi

pulumi stack select --create "$stack" >/dev/null
if [ "$sandbox" = 1 ]; then
  printf '\n==> pulumi up (stack %s): creates its own host, a local container (LocalSandbox, @pulumi/docker)\n' "$stack"
  # A demo stack that pointed at a harness host before is emptied first, then makes its own host.
  if pulumi config get host >/dev/null 2>&1; then pulumi destroy --yes; fi
  for key in host port user privateKey publicHttpPort; do pulumi config rm "$key" 2>/dev/null || true; done
  npx ts-node scripts/demo-host.ts --remove
else
  echo "no docker plugin installed (see scripts/build-engine.sh): the demo host is started by the test harness, outside the stack"
  printf '\n==> Demo host\n'
  host_json="$(npx ts-node scripts/demo-host.ts)"
  field() { node -e 'const h = JSON.parse(process.argv[1]); process.stdout.write(String(h[process.argv[2]]))' "$host_json" "$1"; }
  printf '\n==> pulumi up (stack %s)\n' "$stack"
  pulumi config set host 127.0.0.1
  pulumi config set port "$(field sshPort)"
  pulumi config set user "$(field user)"
  pulumi config set publicHttpPort "$(field httpPort)"
  pulumi config set --secret privateKey < "$(field privateKeyPath)"
fi
pulumi up --yes

url="$(pulumi stack output url)"
printf '\n==> The app at %s\n' "$url"
for path in "" healthz static/style.css; do
  printf '\n--- GET %s%s\n' "$url" "$path"
  curl -fsS --max-time 20 -D - "$url$path" | sed -n '1,40p'
done
printf '\nDeployed. Open %s — run scripts/demo.sh --destroy to remove it.\n' "$url"
