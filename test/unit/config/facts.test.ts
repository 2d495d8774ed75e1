import { DEFAULT_WORKER_THREADS, defaultWorkerCount, GUNICORN_WORKERS_PER_CORE, WORKER_MEMORY_MB } from "../../../components/config";

describe("defaultWorkerCount", () => {
  it.each([
    ["Raspberry Pi 3", 4, 1024, 4],
    ["4-core 512 MiB board", 4, 512, 4], // 256 MiB / 60 MiB = 4: the memory allows exactly one per core
    ["4-core board with 427 MiB left by the GPU", 4, 427, 3], // memory-bound: 213 MiB / 60 MiB = 3 < 4 cores
    ["Raspberry Pi 5", 4, 8192, 4],
    ["16-core 64 GiB VM", 16, 65536, 16],
    ["1-core 512 MiB VM", 1, 512, 2], // at least two when memory allows: one serves while the other restarts
    ["2-core 4 GiB VM", 2, 4096, 2],
    ["tiny 200 MiB container", 2, 200, 1], // 100 MiB fits one 60 MiB worker only
    ["240 MiB: room for exactly two", 8, 240, 2],
    ["no memory reported", 4, 0, 1],
  ])("GIVEN a %s (%i cores, %i MiB) WHEN sizing workers THEN it is %i", (_host, cores, memoryMb, expected) => {
    expect(defaultWorkerCount({ cores, memoryMb })).toBe(expected);
  });

  it("GIVEN the per-worker estimate WHEN read THEN it is 60 MiB", () => {
    expect(WORKER_MEMORY_MB).toBe(60);
  });

  it.each([2, 3, 4, 8, 16, 64, 128])("GIVEN %i cores and plenty of memory WHEN sizing THEN it is one per core", (cores) => {
    expect(defaultWorkerCount({ cores, memoryMb: 1 << 20 })).toBe(cores);
  });

  it.each([
    ["Raspberry Pi 3", 4, 1024, 8], // memory-bound: 512 MiB / 60 MiB = 8 = 2 × 4 cores
    ["Raspberry Pi 3 (MemTotal as reported)", 4, 906, 7], // memory-bound: 453 / 60 = 7 < 8
    ["Raspberry Pi 5", 4, 8192, 8],
    ["16-core 64 GiB VM", 16, 65536, 32],
    ["1-core 512 MiB VM", 1, 512, 2],
    ["4-core board with 427 MiB left by the GPU", 4, 427, 3],
  ])("GIVEN a %s (%i cores, %i MiB) WHEN sizing Gunicorn's workers (two per core) THEN it is %i", (_host, cores, memoryMb, expected) => {
    expect(defaultWorkerCount({ cores, memoryMb }, GUNICORN_WORKERS_PER_CORE)).toBe(expected);
  });

  it("GIVEN Gunicorn's workers per core WHEN read THEN it is 2", () => {
    expect(GUNICORN_WORKERS_PER_CORE).toBe(2);
  });

  it("GIVEN the default threads per worker WHEN read THEN it is 4", () => {
    expect(DEFAULT_WORKER_THREADS).toBe(4);
  });

  it("GIVEN any host WHEN sizing THEN workers fit half the memory at 60 MiB each, and there is at least one", () => {
    for (const cores of [1, 2, 4, 8, 32]) {
      for (let memoryMb = 0; memoryMb <= 20000; memoryMb += 97) {
        const n = defaultWorkerCount({ cores, memoryMb });
        expect(n).toBeGreaterThanOrEqual(1);
        expect(n).toBeLessThanOrEqual(Math.max(cores, 2));
        if (n > 1) {
          expect(n * WORKER_MEMORY_MB).toBeLessThanOrEqual(memoryMb / 2);
        }
      }
    }
  });
});
