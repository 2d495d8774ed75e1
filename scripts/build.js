// bin/, built from the TypeScript with `tsc -p tsconfig.build.json`: components/ (the package other
// projects install) and index.ts (the root project's program, which Pulumi runs as JavaScript through
// program.js). It builds only when a source changed since the last build: the stamp in
// bin/.flaskstack-build is a hash of every source and config file the build reads. So an edited program
// is type-checked and compiled before it runs, and an unchanged one starts without compiling.
//   node scripts/build.js      build if needed, and say which
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");
const { spawnSync } = require("child_process");

const PROJECT = path.resolve(__dirname, "..");
const STAMP = ".flaskstack-build";
const LOCK = ".flaskstack-build.lock";
// A lock older than this was left by a build that died; a build takes seconds.
const STALE_LOCK_MS = 5 * 60_000;

/** Every file the build reads, relative to the project, sorted: a missing one counts as absent. */
function sourceFiles(root) {
  const files = ["index.ts", "tsconfig.json", "tsconfig.build.json", "package-lock.json"];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (entry.name.endsWith(".ts")) files.push(rel);
    }
  };
  walk("components");
  return files.filter((f) => fs.existsSync(path.join(root, f))).sort();
}

/** The stamp of the sources as they are now: names and contents. */
function currentStamp(root) {
  const hash = crypto.createHash("sha256");
  for (const file of sourceFiles(root)) {
    hash.update(`${file}\0`);
    hash.update(fs.readFileSync(path.join(root, file)));
    hash.update("\0");
  }
  return hash.digest("hex").slice(0, 16);
}

function builtStamp(root) {
  try {
    return fs.readFileSync(path.join(root, "bin", STAMP), "utf8").trim();
  } catch {
    return undefined;
  }
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Runs `fn` holding bin/'s build lock, so two runs started together build once and never read half a build. */
function withLock(root, fn) {
  const lock = path.join(root, "bin", LOCK);
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  const deadline = Date.now() + STALE_LOCK_MS;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (err) {
      if (err.code !== "EEXIST") throw err;
      let age;
      try {
        age = Date.now() - fs.statSync(lock).mtimeMs;
      } catch {
        continue;
      }
      if (age > STALE_LOCK_MS || Date.now() > deadline) fs.rmSync(lock, { recursive: true, force: true });
      else sleep(100);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * Builds `<root>/bin` unless it is up to date with the sources. Returns what it did; a type error throws with
 * tsc's messages, and leaves the stamp as it was (so the next run tries again).
 */
function ensureBuilt(root = PROJECT) {
  if (builtStamp(root) === currentStamp(root)) return { built: false };
  return withLock(root, () => {
    const stamp = currentStamp(root);
    if (builtStamp(root) === stamp) return { built: false };
    const started = Date.now();
    const tsc = require.resolve("typescript/bin/tsc", { paths: [root] });
    const run = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json", "--pretty", "false"], { cwd: root, encoding: "utf8" });
    if (run.error) throw run.error;
    if (run.status !== 0) {
      throw new Error(`flaskstack: index.ts or components/ do not compile (tsc -p tsconfig.build.json):\n${(run.stdout + run.stderr).trim()}`);
    }
    fs.writeFileSync(path.join(root, "bin", STAMP), stamp + "\n");
    return { built: true, seconds: (Date.now() - started) / 1000 };
  });
}

module.exports = { ensureBuilt };

if (require.main === module) {
  const result = ensureBuilt();
  console.log(result.built ? `built bin/ (index.ts and components/) in ${result.seconds.toFixed(1)} s` : "bin/ is up to date");
}
