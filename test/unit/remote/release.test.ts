/**
 * The release archive and its unpacker, run for real (tar from the `tar` package, python3, /bin/sh):
 * a good archive becomes a complete release directory; a damaged, truncated or hostile one leaves
 * nothing behind and says why.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { collectAppFiles, contentHash, renderManifest, UNPACK_PY, writeReleaseArchive } from "../../../components/release/archive";
import { releaseScript } from "../../../components/remote/release";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "flaskstack-release-"));
  dirs.push(d);
  return d;
}

function sampleApp(): string {
  const src = tmp();
  fs.mkdirSync(path.join(src, "shop", "static"), { recursive: true });
  fs.mkdirSync(path.join(src, "__pycache__"));
  fs.writeFileSync(path.join(src, "shop", "__init__.py"), "def create_app():\n    pass\n");
  fs.writeFileSync(path.join(src, "shop", "static", "logo.bin"), Buffer.from([0, 1, 2, 255]));
  fs.writeFileSync(path.join(src, "run.sh"), "#!/bin/sh\n", { mode: 0o755 });
  fs.writeFileSync(path.join(src, "__pycache__", "x.pyc"), "cache");
  return src;
}

async function scriptText(archive: string, sha256: string, releaseDir: string): Promise<string> {
  const out = releaseScript({ archive, sha256, releaseDir, uploadUrn: "urn:pulumi:dev::p::command:remote:CopyToRemote::app-upload" });
  return new Promise((resolve) => out.apply((s) => resolve(s)));
}

async function unpack(src: string, mutate?: (archivePath: string) => void, manifestOverride?: string) {
  const files = collectAppFiles(src);
  const manifest = manifestOverride ?? renderManifest(files);
  const archive = writeReleaseArchive(src, files, `test-${contentHash(manifest)}`);
  const host = tmp();
  const uploaded = path.join(host, "incoming.tar");
  fs.copyFileSync(archive.path, uploaded);
  mutate?.(uploaded);
  const releaseDir = path.join(host, "releases", "r1");
  fs.mkdirSync(path.dirname(releaseDir));
  const r = spawnSync("sh", ["-c", await scriptText(uploaded, archive.sha256, releaseDir)], { input: manifest, encoding: "utf8" });
  return { ...r, releaseDir, uploaded, host };
}

describe("release archive", () => {
  it("is the same bytes for the same files, whenever it is made", () => {
    const src = sampleApp();
    const a = writeReleaseArchive(src, collectAppFiles(src), "same");
    fs.utimesSync(path.join(src, "run.sh"), new Date(), new Date(2001, 1, 1));
    const b = writeReleaseArchive(src, collectAppFiles(src), "same");
    expect(b.sha256).toBe(a.sha256);
    expect(b.path).toBe(a.path);
  });

  it("lists every shipped file in the manifest, without caches", () => {
    const manifest = renderManifest(collectAppFiles(sampleApp()));
    expect(
      manifest
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split(" ").slice(1).join(" ")),
    ).toEqual(["755 10 run.sh", "644 27 shop/__init__.py", "644 4 shop/static/logo.bin"]);
  });

  it("unpacks into a complete release directory and removes the uploaded archive", async () => {
    const r = await unpack(sampleApp());
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(fs.readFileSync(path.join(r.releaseDir, "shop", "static", "logo.bin"))).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(fs.statSync(path.join(r.releaseDir, "run.sh")).mode & 0o777).toBe(0o755);
    expect(fs.statSync(path.join(r.releaseDir, "shop", "__init__.py")).mode & 0o777).toBe(0o644);
    expect(fs.existsSync(r.uploaded)).toBe(false);
  });

  it.each([
    ["truncated", (a: string) => fs.truncateSync(a, fs.statSync(a).size - 1024), /damaged or incomplete/],
    [
      "one byte changed",
      (a: string) => {
        const b = fs.readFileSync(a);
        b[600] ^= 1;
        fs.writeFileSync(a, b);
      },
      /damaged or incomplete/,
    ],
    ["missing", (a: string) => fs.rmSync(a), /not on the host; copy it again with: pulumi up --replace/],
  ])("refuses an archive that is %s, leaves no release behind and keeps the archive", async (_what, mutate, message) => {
    const r = await unpack(sampleApp(), mutate);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(message);
    // The lock file of the releases directory stays; nothing else.
    expect(fs.readdirSync(path.dirname(r.releaseDir))).toEqual([".lock"]);
  });

  it("refuses files the manifest does not list, or lists differently", async () => {
    const src = sampleApp();
    const manifest = renderManifest(collectAppFiles(src)).replace(/^\w+ 755/m, "0000000000000000 755");
    const r = await unpack(src, undefined, manifest);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("refusing 'run.sh': differs from the manifest");
    expect(r.stderr).toMatch(
      /flaskstack: release \S+\/releases\/r1 was not unpacked, nothing was switched, the running release keeps serving \(\d+ KiB free there\)/,
    );
    // The lock file of the releases directory stays; nothing else.
    expect(fs.readdirSync(path.dirname(r.releaseDir))).toEqual([".lock"]);
    expect(fs.existsSync(r.uploaded)).toBe(true);
  });

  // Hostile archives are made with Python's tarfile, which writes whatever member it is given.
  const MAKE_TAR = String.raw`
import io, sys, tarfile
kind, out = sys.argv[1], sys.argv[2]
with tarfile.open(out, "w") as tf:
    m = tarfile.TarInfo("../evil.txt" if kind == "dotdot" else "/tmp/evil.txt" if kind == "absolute" else "link")
    if kind == "symlink":
        m.type, m.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tf.addfile(m)
    else:
        m.size = 1
        tf.addfile(m, io.BytesIO(b"x"))
`;
  it.each([
    ["dotdot", "../evil.txt", "outside the release"],
    ["absolute", "/tmp/evil.txt", "outside the release"],
    ["symlink", "link", "not a regular file"],
  ])("the unpacker refuses a %s member", (kind, name, message) => {
    const dir = tmp();
    const archive = path.join(dir, "a.tar");
    expect(spawnSync("python3", ["-c", MAKE_TAR, kind, archive]).status).toBe(0);
    const out = path.join(dir, "out");
    const r = spawnSync("python3", ["-c", UNPACK_PY, archive, out], { input: `2d711642b726b044 644 1 ${name}\n`, encoding: "utf8" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(message);
    expect(fs.existsSync(path.join(dir, "evil.txt"))).toBe(false);
  });
});
