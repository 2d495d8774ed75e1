/**
 * An app directory as one deterministic text stream, and the script that unpacks it on a host.
 *
 * Text files travel verbatim, so `pulumi preview --diff` shows a code change as the changed lines of
 * the changed file; other files travel as base64. Each file is framed by a header line carrying its
 * path, mode and byte length, so the unpacker never has to guess where a file ends.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

/** Names never shipped: caches, VCS data, local venvs and editor droppings. */
export const EXCLUDED_NAMES: readonly string[] = [
  ".git", ".hg", ".svn", "__pycache__", ".pytest_cache", ".mypy_cache", ".venv", "venv", "node_modules", ".DS_Store",
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

function isText(data: Buffer): boolean {
  if (data.includes(0)) return false;
  return Buffer.from(data.toString("utf8"), "utf8").equals(data);
}

/**
 * The archive text. Frame: `=== flaskstack-file <text|base64> <mode> <bytes> <path>` then exactly
 * `<bytes>` bytes of payload (UTF-8 text, or base64 of the file) and a newline.
 */
export function renderArchive(files: readonly AppFile[]): string {
  return files
    .map((f) => {
      if (/[\n\r]/.test(f.path)) throw new Error(`cannot ship a file whose name contains a line break: ${JSON.stringify(f.path)}`);
      const text = isText(f.data);
      const payload = text ? f.data : Buffer.from(f.data.toString("base64"), "utf8");
      return `=== flaskstack-file ${text ? "text" : "base64"} ${f.mode} ${payload.length} ${f.path}\n${payload.toString("utf8")}\n`;
    })
    .join("");
}

/** Short content hash, used to name release and venv directories. */
export function contentHash(...parts: readonly string[]): string {
  const h = crypto.createHash("sha256");
  for (const p of parts) h.update(p).update("\0");
  return h.digest("hex").slice(0, 12);
}

/**
 * Python 3 program that reads an archive on stdin and writes it below the directory given as its
 * first argument. It refuses absolute paths and `..`, so an archive can only write inside that
 * directory.
 */
export const UNPACK_PY = String.raw`
import base64, os, sys
dest = sys.argv[1]
data = sys.stdin.buffer.read()
pos = 0
while pos < len(data):
    end = data.index(b"\n", pos)
    header = data[pos:end].decode("utf-8").split(" ", 5)
    if header[:2] != ["===", "flaskstack-file"] or len(header) != 6:
        sys.exit("bad archive header at byte %d" % pos)
    _, _, enc, mode, size, rel = header
    size = int(size)
    payload = data[end + 1:end + 1 + size]
    pos = end + 1 + size + 1
    if rel.startswith("/") or ".." in rel.split("/"):
        sys.exit("refusing path outside the release: %r" % rel)
    target = os.path.join(dest, rel)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "wb") as f:
        f.write(base64.b64decode(payload) if enc == "base64" else payload)
    os.chmod(target, int(mode, 8))
`;
