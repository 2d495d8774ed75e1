/** The `peers` checks on a host (docker exec, never SSH): the pages it serves, what a deploy left on it, its processes, the files a run changed. */
import { hostExec, TestHost } from "../../lib/hosts";

/** GET / and /healthz through nginx inside the host, worker pid and hostname masked. */
export async function pages(h: TestHost): Promise<string> {
  const out = await hostExec(
    h,
    'set -e; for p in / /healthz; do echo "== $p"; curl -fsS --max-time 10 http://127.0.0.1$p; echo; done; echo "== host $(hostname)"',
    60_000,
  );
  const hostname = /^== host (.*)$/m.exec(out)?.[1] ?? "";
  if (!hostname) throw new Error(`no hostname from ${h.name}`);
  return out
    .replace(/^== host .*$/m, "")
    .split(hostname)
    .join("<host>")
    .replace(/worker \d+/g, "worker <pid>")
    .replace(/"pid":\s*\d+/g, '"pid":<pid>');
}

/** What a deploy leaves on the host: config files, links, release files, venv packages, with sha256 and modes. */
export async function footprint(h: TestHost): Promise<string> {
  return hostExec(
    h,
    [
      "set -e",
      "cd /",
      "for f in /etc/tmpfiles.d/flaskstack-sample.conf /etc/sample/env /etc/sample/load_env.py /etc/sample/uwsgi.ini /etc/supervisor/conf.d/sample.conf /etc/nginx/sites-available/sample; do",
      '  echo "$(sha256sum < "$f" | cut -c1-16) $(stat -c "%U:%G %a" "$f") $f"',
      "done",
      'echo "current -> $(readlink /srv/sample/current); venv -> $(readlink /srv/sample/venv); enabled: $(ls /etc/nginx/sites-enabled | tr "\\n" " ")"',
      'echo "user: $(id sample)"; stat -c "%U:%G %a %n" /srv/sample /srv/sample/releases /srv/sample/venvs /var/log/sample /etc/sample /run/sample',
      "cd /srv/sample/current && find . -type f ! -name '*.pyc' ! -path '*/__pycache__/*' -printf '%m %s %p\\n' | sort && find . -type f ! -name '*.pyc' ! -path '*/__pycache__/*' -exec sha256sum {} + | sort -k2 | sha256sum | cut -c1-16",
      "/srv/sample/venv/bin/pip --disable-pip-version-check freeze --all | sort | tr '\\n' ' '; echo",
      "dpkg-query -W -f '${Package}\\n' nginx supervisor uwsgi-core uwsgi-plugin-python3 python3-venv | tr '\\n' ' '; echo",
    ].join("\n"),
    60_000,
  );
}

export interface Running {
  master: string;
  workers: string[];
  nginx: string;
}

export async function running(h: TestHost): Promise<Running> {
  const out = await hostExec(h, "m=$(supervisorctl pid sample); echo $m; ps -o pid= --ppid $m | tr -d ' ' | sort | tr '\\n' ','; echo; cat /run/nginx.pid");
  const [master, workers, nginx] = out.trim().split("\n");
  return { master, workers: workers.split(",").filter(Boolean), nginx };
}

export async function waitWorkers(h: TestHost, n: number, withinSec = 60): Promise<Running> {
  const deadline = Date.now() + withinSec * 1000;
  for (;;) {
    const s = await running(h);
    if (s.workers.length === n || Date.now() > deadline) return s;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Files under the deploy's paths modified since the mark (`touch` before the run). */
export async function markFiles(h: TestHost): Promise<void> {
  await hostExec(h, "touch /tmp/peers-mark && sleep 0.01");
}
export async function changedFiles(h: TestHost): Promise<string[]> {
  const out = await hostExec(
    h,
    "find /srv/sample /etc/sample /etc/nginx /etc/supervisor /etc/tmpfiles.d /var/log/sample -newer /tmp/peers-mark \\( -type f -o -type l \\) ! -name '*.log' 2>/dev/null || true",
  );
  return out.split("\n").filter(Boolean);
}
