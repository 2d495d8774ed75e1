/**
 * Host facts (gathered once per host by the remote layer) and the defaults computed from them.
 */

/** What flaskstack knows about a host. */
export interface HostFacts {
  /** `uname -m`: `x86_64`, `aarch64` (Pi 4/5 with a 64-bit OS), `armv7l` (32-bit Pi OS), … */
  readonly arch: "x86_64" | "aarch64" | "armv7l" | (string & {});
  /** Online CPU cores (`nproc`). */
  readonly cores: number;
  /** Total memory in MiB (`MemTotal` of /proc/meminfo). */
  readonly memoryMb: number;
  /** `ID` of /etc/os-release: `debian`, `ubuntu`, `raspbian`, … */
  readonly osId: string;
  /** `VERSION_ID` of /etc/os-release: `12`, `24.04`, … */
  readonly osVersionId: string;
  /** `systemd` when PID 1 is systemd, `other` otherwise (containers without an init, …). */
  readonly initSystem: "systemd" | "other";
  /** `python3 --version` of the system Python, e.g. `3.11.2`. @default unknown (not used by any default yet) */
  readonly pythonVersion?: string;
  /** Free space on `/` in MiB when the facts were gathered, when known. */
  readonly diskFreeMb?: number;
}

/**
 * Estimated resident memory of one Flask worker process (app imported, a few requests served), in MiB.
 * Deliberately generous: a small Flask app sits at 30–50 MiB, one with SQLAlchemy and friends near 60.
 */
export const WORKER_MEMORY_MB = 60;

/** Share of host memory the WSGI workers may use; the rest is for nginx, the OS, caches, a database… */
export const WORKER_MEMORY_SHARE = 0.5;

/**
 * The default number of WSGI worker processes for a host (uWSGI `processes`, Gunicorn `workers`):
 *
 *     cpuBound = cores × perCore                                  (uWSGI 1, Gunicorn 2; threads cover I/O waits)
 *     memoryBound = floor(memoryMb × 0.5 / 60)                    (WORKER_MEMORY_SHARE, WORKER_MEMORY_MB)
 *     workers = max(min(cpuBound, memoryBound), memoryBound ≥ 2 ? 2 : 1)
 *
 * Each worker runs `DEFAULT_WORKER_THREADS` threads, so uWSGI serves cores × 4 requests at once. More
 * processes than cores only make them take turns on the CPU (with nginx, which shares the cores): the
 * served-throughput benchmark (bench/RESULTS.md) measured the older 2 × cores + 1 processes on 2 cores at
 * 0.85× the requests/s and 1.3× the p99 latency of cores × 4 threads. Gunicorn gets two per core
 * (`GUNICORN_WORKERS_PER_CORE`): its gthread worker reads sockets and parses HTTP in Python, holding the
 * worker's GIL, so one worker per core left the cores partly idle and served about 15% fewer requests/s than
 * two per core; uWSGI does that work in C, outside the GIL. A worker count never needs more than half
 * the memory at 60 MiB per worker, and is at least 2 (one worker can serve while another is stuck or
 * restarting) when memory allows 2, and never below 1.
 *
 * | host | cores | memory | uWSGI (perCore 1) | Gunicorn (perCore 2) |
 * |---|---|---|---|---|
 * | Raspberry Pi 3 | 4 | 1 GiB | 4 | 8 (memory-bound: 512 / 60) |
 * | 4-core board | 4 | 427 MiB | 3 (memory-bound: 213 / 60) | 3 |
 * | Raspberry Pi 5 | 4 | 8 GiB | 4 | 8 |
 * | VM | 16 | 64 GiB | 16 | 32 |
 * | small VM | 1 | 512 MiB | 2 | 2 |
 */
export function defaultWorkerCount(facts: Pick<HostFacts, "cores" | "memoryMb">, perCore = 1): number {
  const cpuBound = Math.max(1, Math.floor(facts.cores)) * Math.max(1, Math.floor(perCore));
  const memoryBound = Math.floor((Math.max(0, facts.memoryMb) * WORKER_MEMORY_SHARE) / WORKER_MEMORY_MB);
  const floor = memoryBound >= 2 ? 2 : 1;
  return Math.max(Math.min(cpuBound, memoryBound), floor);
}

/**
 * The default threads per worker (uWSGI `threads`, Gunicorn `threads` with the gthread worker): enough
 * for a worker to keep its core busy while some requests wait on a database or an API. Raise it for apps
 * that mostly wait; lower it to 1 for code that is not thread-safe.
 */
export const DEFAULT_WORKER_THREADS = 4;

/** Gunicorn's default workers per core (see `defaultWorkerCount`). */
export const GUNICORN_WORKERS_PER_CORE = 2;
