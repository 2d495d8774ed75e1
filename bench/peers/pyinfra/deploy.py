"""What the root stack (index.ts: sample app, uWSGI from apt, nginx, supervisor) does to a fresh
Debian host, as a pyinfra 3 deploy, written for the `peers` measurement (bench/measure/peers.ts).

    PEERS_VARS=vars.json pyinfra -y inventory.py deploy.py

vars.json is the one the Ansible play reads: the package list, the release and venv ids (the stack's
content hashes), the staged app directory, the directory of files taken from a stack deploy and
uwsgi_processes. A second run with the same vars changes nothing; a changed ini is applied with
uWSGI's graceful reload (`r` on the master FIFO), new code by switching `current` and the same reload,
a changed site by `nginx -t` and a reload.
"""

import json
import os

from pyinfra import host
from pyinfra.facts.files import File
from pyinfra.operations import apt, files, server, systemd

V = json.load(open(os.environ["PEERS_VARS"]))
APP = "sample"
BASE = "/srv/sample"
RELEASE = f"{BASE}/releases/{V['release_id']}"
VENV = f"{BASE}/venvs/{V['venv_id']}"
FIFO = "/run/sample/uwsgi.fifo"
FILES = V["files_dir"]


def changed(*ops):
    """True once any of `ops` changed something (evaluated when the operation runs)."""
    return lambda: any(op.did_change() for op in ops)


def unchanged(op):
    return lambda: not op.did_change()


apt.packages(
    name="Debian packages, one transaction",
    packages=V["packages"],
    no_recommends=True,
    update=True,
    cache_time=86400,
)
no_default = files.link(name="No default nginx site", path="/etc/nginx/sites-enabled/default", present=False)

server.group(name="App group", group=APP, system=True)
server.user(
    name="App user",
    user=APP,
    group=APP,
    system=True,
    home=BASE,
    ensure_home=False,
    shell="/usr/sbin/nologin",
)
for d in (BASE, f"{BASE}/releases", f"{BASE}/venvs"):
    files.directory(name=f"Directory {d}", path=d, user="root", group="root", mode="755")
files.directory(name="Log directory", path="/var/log/sample", user=APP, group=APP, mode="750")
files.directory(name="Config directory", path="/etc/sample", user="root", group=APP, mode="750")

tmpfiles = files.put(
    name="Run directory at every boot (tmpfiles.d)",
    src=f"{FILES}/etc/tmpfiles.d/flaskstack-sample.conf",
    dest="/etc/tmpfiles.d/flaskstack-sample.conf",
    user="root",
    group="root",
    mode="644",
)
server.shell(
    name="Run directory now",
    commands=["systemd-tmpfiles --create /etc/tmpfiles.d/flaskstack-sample.conf"],
    _if=tmpfiles.did_change,
)

files.directory(name="Release directory", path=RELEASE, user="root", group="root", mode="755")
code = files.sync(
    name="App code",
    src=V["app_src"],
    dest=RELEASE,
    user="root",
    group="root",
    mode="644",
    dir_mode="755",
)

# Built once per requirements hash, like the stack's venv: the marker says it is complete.
VENV_SCRIPT = f"""set -eu
rm -rf {VENV}
python3 -m venv {VENV}
cat > {VENV}/requirements.txt <<'PEERS_REQUIREMENTS_EOF'
{V['venv_requirements']}PEERS_REQUIREMENTS_EOF
{VENV}/bin/pip --disable-pip-version-check --no-input install --progress-bar off --prefer-binary -r {VENV}/requirements.txt
chmod -R go+rX,go-w {VENV}
touch {VENV}/.flaskstack-complete"""
if not host.get_fact(File, path=f"{VENV}/.flaskstack-complete"):
    server.shell(name="Venv, built once per requirements hash", commands=[VENV_SCRIPT])

env = files.put(
    name="App environment",
    src=f"{FILES}/etc/sample/env",
    dest="/etc/sample/env",
    user=APP,
    group=APP,
    mode="400",
)
loader = files.put(
    name="Environment loader",
    src=f"{FILES}/etc/sample/load_env.py",
    dest="/etc/sample/load_env.py",
    user="root",
    group=APP,
    mode="640",
)
venv_link = files.link(name="Live venv", path=f"{BASE}/venv", target=f"venvs/{V['venv_id']}", force=True)
release_link = files.link(name="Live release", path=f"{BASE}/current", target=f"releases/{V['release_id']}", force=True)
ini = files.template(
    name="uWSGI config",
    src=f"{FILES}/uwsgi.ini.j2",
    dest="/etc/sample/uwsgi.ini",
    user="root",
    group=APP,
    mode="640",
    uwsgi_processes=V["uwsgi_processes"],
)
program = files.put(
    name="Supervisor program",
    src=f"{FILES}/etc/supervisor/conf.d/sample.conf",
    dest="/etc/supervisor/conf.d/sample.conf",
    user="root",
    group="root",
    mode="644",
)
systemd.service(name="Supervisor running", service="supervisor", running=True, enabled=True)
server.shell(
    name="Supervisor takes the program in, waits for it to run",
    commands=[
        "supervisorctl reread && supervisorctl update sample",
        "for i in $(seq 1 30); do supervisorctl status sample | grep -q RUNNING && exit 0; sleep 1; done; exit 1",
    ],
    _if=program.did_change,
)
# Not after supervisor just (re)started the program: it already runs the new config.
reloaded = server.shell(
    name="Reload uWSGI",
    commands=[f"if supervisorctl status sample | grep -q RUNNING; then echo r > {FIFO}; fi"],
    _if=[changed(env, loader, venv_link, release_link, ini), unchanged(program)],
)
# Like the stack: the live release and venv stay, and the newest one besides (what they replaced).
server.shell(
    name="Prune releases",
    commands=[
        f"""set -eu
cd {BASE}
for kind in releases venvs; do
  link=$([ "$kind" = releases ] && echo current || echo venv)
  live=$(basename "$(readlink "$link")")
  ls -1t "$kind" | grep -vx -e "$live" -e '.*\\.tmp' | tail -n +2 | while read -r d; do rm -rf -- "$kind/$d"; done
done"""
    ],
    _if=changed(venv_link, release_link),
)

site = files.put(
    name="nginx site",
    src=f"{FILES}/etc/nginx/sites-available/sample",
    dest="/etc/nginx/sites-available/sample",
    user="root",
    group="root",
    mode="644",
)
site_link = files.link(name="nginx site enabled", path="/etc/nginx/sites-enabled/sample", target="/etc/nginx/sites-available/sample")
nginx = server.shell(
    name="Reload nginx",
    commands=["nginx -t -q && systemctl reload-or-restart nginx"],
    _if=changed(no_default, site, site_link),
)
server.shell(
    name="Probe the site",
    commands=["for i in $(seq 1 30); do curl -fsS -o /dev/null http://127.0.0.1/healthz && exit 0; sleep 1; done; exit 1"],
    _if=changed(reloaded, nginx, program),
)
