/**
 * Test hosts by hand:
 *
 *   npx ts-node test/hosts/cli.ts start vm 2 [--prefix NAME]   start hosts (vm|pi|armhf), print them as JSON
 *   npx ts-node test/hosts/cli.ts ls                           list test-host containers (JSON)
 *   npx ts-node test/hosts/cli.ts rm NAME...                   remove hosts by container name
 *   npx ts-node test/hosts/cli.ts gc [--all]                   remove leftovers of dead runs
 *                                                              (--all: every test host)
 *   npx ts-node test/hosts/cli.ts build vm|pi|armhf            build the image if its recipe changed
 *
 * Hosts started here are owned "manually": they stay until `rm` or `gc --all`. Progress goes
 * to stderr, JSON to stdout. Connect with e.g.
 *   ssh -i <privateKeyPath> -p <sshPort> -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null <user>@127.0.0.1
 */
import { ensureImage, gc, HOST_KINDS, HostKind, isHostKind, listHostContainers, removeContainers, startHosts } from "./harness";

function usage(): never {
  const kinds = HOST_KINDS.join("|");
  process.stderr.write(`usage: cli.ts start ${kinds} [COUNT] [--prefix NAME] | ls | rm NAME... | gc [--all] | build ${kinds}\n`);
  process.exit(2);
}

function kindArg(k: string | undefined): HostKind {
  if (isHostKind(k)) return k;
  return usage();
}

async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case "start": {
      const kind = kindArg(rest[0]);
      const count = rest[1] && !rest[1].startsWith("--") ? Number(rest[1]) : 1;
      const pi = rest.indexOf("--prefix");
      const prefix = pi >= 0 ? rest[pi + 1] : undefined;
      if (pi >= 0 && !prefix) usage();
      const hosts = await startHosts(kind, count, { prefix, owner: "manual" });
      process.stdout.write(JSON.stringify(hosts, null, 2) + "\n");
      return;
    }
    case "ls":
      process.stdout.write(JSON.stringify(await listHostContainers(), null, 2) + "\n");
      return;
    case "rm":
      if (rest.length === 0) usage();
      await removeContainers(rest);
      process.stdout.write(JSON.stringify({ removed: rest }) + "\n");
      return;
    case "gc":
      process.stdout.write(JSON.stringify({ removed: await gc({ all: rest.includes("--all") }) }) + "\n");
      return;
    case "build":
      process.stdout.write(JSON.stringify({ image: await ensureImage(kindArg(rest[0])) }) + "\n");
      return;
    default:
      usage();
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
