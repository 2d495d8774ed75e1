/**
 * An app directory as a release: a manifest (one line per file, kept in state and shown in previews),
 * a deterministic tar archive (copied to the host by the command plugin; only its path and hash are
 * kept in state), and the program that unpacks it on the host.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tar from "tar";

/** Names never shipped: caches, VCS data, local venvs and editor droppings. */
export const EXCLUDED_NAMES: readonly string[] = [
  ".git",
  ".hg",
  ".svn",
  "__pycache__",
  ".pytest_cache",
  ".mypy_cache",
  ".venv",
  "venv",
  "node_modules",
  ".DS_Store",
];

export interface AppFile {
  /** Path relative to the app directory, `/`-separated. */
  readonly path: string;
  readonly mode: "644" | "755";
  readonly data: Buffer;
}

/** Every shippable file under `dir`, sorted by path. Symlinks are followed; sockets and the like skipped. */
export function collectAppFiles(dir: string, exclude: readonly string[] = EXCLUDED_NAMES): AppFile[] {
  const files: AppFile[] = [];
  const walk = (abs: string, rel: string): void => {
    for (const name of fs.readdirSync(abs).sort()) {
      if (exclude.includes(name) || name.endsWith(".pyc")) continue;
      const full = path.join(abs, name);
      const relPath = rel ? `${rel}/${name}` : name;
      const stat = fs.statSync(full);
      if (stat.isDirectory()) walk(full, relPath);
      else if (stat.isFile()) files.push({ path: relPath, mode: stat.mode & 0o111 ? "755" : "644", data: fs.readFileSync(full) });
    }
  };
  walk(dir, "");
  return files;
}

/** Length of the per-file hashes in the manifest: enough to tell files apart, short in state. */
const FILE_HASH_CHARS = 16;

/**
 * The manifest: one line per file, `<sha256 prefix> <mode> <bytes> <path>`, sorted by path. It goes to
 * the host with the release command, so a preview lists exactly the files a code change touches, and
 * the unpacker checks every file of the archive against it.
 */
export function renderManifest(files: readonly AppFile[]): string {
  return files
    .map((f) => {
      if (/[\n\r]/.test(f.path)) throw new Error(`cannot ship a file whose name contains a line break: ${JSON.stringify(f.path)}`);
      const sha = crypto.createHash("sha256").update(f.data).digest("hex").slice(0, FILE_HASH_CHARS);
      return `${sha} ${f.mode} ${f.data.length} ${f.path}\n`;
    })
    .join("");
}

export interface ReleaseArchive {
  /** Local path of the tar file (named by its content, under the OS temp directory). */
  readonly path: string;
  /** SHA-256 of the tar file, checked on the host before unpacking. */
  readonly sha256: string;
}

/**
 * Writes the files as a tar archive with fixed metadata (mtime 0, no owner names), so the same files
 * make the same bytes. Only the asset's path and hash go into the stack's state, never the bytes.
 */
export function writeReleaseArchive(sourceDir: string, files: readonly AppFile[], label: string): ReleaseArchive {
  const dir = path.join(os.tmpdir(), "flaskstack-releases");
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = path.join(dir, `.${label}-${process.pid}-${crypto.randomBytes(4).toString("hex")}.tar`);
  tar.create(
    { file: tmp, cwd: sourceDir, sync: true, portable: true, mtime: new Date(0), follow: true, noDirRecurse: true },
    files.map((f) => f.path),
  );
  const sha256 = crypto.createHash("sha256").update(fs.readFileSync(tmp)).digest("hex");
  const final = path.join(dir, `${label}-${sha256.slice(0, 16)}.tar`);
  fs.renameSync(tmp, final);
  return { path: final, sha256 };
}

/** Short content hash, used to name release and venv directories. */
export function contentHash(...parts: readonly string[]): string {
  const h = crypto.createHash("sha256");
  for (const p of parts) h.update(p).update("\0");
  return h.digest("hex").slice(0, 12);
}

/**
 * Python 3 program: `unpack.py <archive.tar> <dest>` with the manifest on stdin. It writes each
 * regular file of the archive below `dest` and refuses anything else: links, devices, absolute paths,
 * `..`, a file missing from the manifest or differing from it, a manifest file missing from the
 * archive, and a truncated archive.
 */
export const UNPACK_PY = String.raw`
import hashlib, os, sys, tarfile
archive, dest = sys.argv[1], sys.argv[2]
want = {}
for line in sys.stdin.read().splitlines():
    sha, mode, size, rel = line.split(" ", 3)
    want[rel] = (sha, int(mode, 8), int(size))
seen = set()
try:
    with tarfile.open(archive, "r:") as tf:
        for m in tf:
            rel = m.name
            if not m.isfile():
                sys.exit("refusing %r: not a regular file" % rel)
            if rel.startswith("/") or ".." in rel.split("/"):
                sys.exit("refusing %r: outside the release" % rel)
            if rel not in want or rel in seen:
                sys.exit("refusing %r: not in the manifest" % rel)
            data = tf.extractfile(m).read()
            sha, mode, size = want[rel]
            if len(data) != size or hashlib.sha256(data).hexdigest()[:len(sha)] != sha:
                sys.exit("refusing %r: differs from the manifest" % rel)
            target = os.path.join(dest, rel)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as f:
                f.write(data)
            os.chmod(target, mode)
            seen.add(rel)
except (tarfile.TarError, EOFError, OSError) as e:
    sys.exit("cannot unpack %s: %s" % (archive, e))
missing = sorted(set(want) - seen)
if missing:
    sys.exit("archive %s lacks %d file(s) of the manifest, e.g. %r" % (archive, len(missing), missing[0]))
`;
