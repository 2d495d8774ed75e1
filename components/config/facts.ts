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
 *     cpuBound = 2 × cores + 1                                    (Gunicorn's rule of thumb)
 *     memoryBound = floor(memoryMb × 0.5 / 60)                    (WORKER_MEMORY_SHARE, WORKER_MEMORY_MB)
 *     workers = max(min(cpuBound, memoryBound), memoryBound ≥ 2 ? 2 : 1)
 *
 * so a worker count never needs more than half the memory at 60 MiB per worker, and is at least 2 (one
 * worker can serve while another is stuck or restarting) when memory allows 2, and never below 1.
 *
 * | host | cores | memory | result |
 * |---|---|---|---|
 * | Raspberry Pi 3 | 4 | 1 GiB | 8 (memory-bound: 512 / 60) |
 * | Raspberry Pi 5 | 4 | 8 GiB | 9 |
 * | VM | 16 | 64 GiB | 33 |
 * | small VM | 1 | 512 MiB | 3 |
 */
export function defaultWorkerCount(facts: Pick<HostFacts, "cores" | "memoryMb">): number {
    const cores = Math.max(1, Math.floor(facts.cores));
    const cpuBound = 2 * cores + 1;
    const memoryBound = Math.floor((Math.max(0, facts.memoryMb) * WORKER_MEMORY_SHARE) / WORKER_MEMORY_MB);
    const floor = memoryBound >= 2 ? 2 : 1;
    return Math.max(Math.min(cpuBound, memoryBound), floor);
}
