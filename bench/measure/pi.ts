/**
 * 6. Raspberry Pi stand-in: cold provision (stack vs floor) and served throughput (nginx → uWSGI
 * defaults vs the hand-tuned grid and the development server) on the emulated arm64 `pi` host.
 * qemu-user emulation makes absolute figures meaningless (everything runs several times slower,
 * wrk included); the ratios compare like with like on the same emulated host.
 */
import { machine, Result, secondsSince } from "../lib/common";
import { installWrk, waitHttp } from "../lib/load";
import { coldProfile, coldRows, coldRuns } from "./cold";
import {
  cpuSection,
  GRID,
  gridSection,
  loadFromEnv,
  loadNote,
  measureDevServer,
  measureServer,
  Measured,
  ServerResult,
  throughputRows,
  uwsgiWhatIfs,
} from "./throughput";

export async function pi(runs: number): Promise<Result> {
  const t0 = Date.now();
  const m = await machine();
  const load = loadFromEnv();
  let served: ServerResult | undefined;
  let dev: Measured | undefined;
  const data = await coldRuns("pi", runs, "pi", async (h) => {
    await installWrk(h);
    await waitHttp(h, "http://127.0.0.1/", 120);
    served = await measureServer(h, "uwsgi", runs, GRID, load, uwsgiWhatIfs);
    dev = await measureDevServer(h, runs, load);
  });
  m.loadAtEnd = (await machine()).loadAtStart;
  const profile = coldProfile(data).map((s) => ({ ...s, heading: `${s.heading} — pi` }));
  return {
    name: "pi",
    title: "6. Raspberry Pi stand-in (arm64 under qemu-user emulation)",
    runs,
    machine: m,
    durationSec: secondsSince(t0),
    rows: [...coldRows(data).map((r) => ({ ...r, metric: `pi: ${r.metric}` })), ...throughputRows([served!], dev!, "pi: ")],
    sections: [
      ...profile,
      gridSection([served!], dev!, "Every load run on the pi host (medians over runs)"),
      cpuSection([served!], dev!, "Profile: CPU per process during the last run of each setting on the pi host (cores)"),
    ],
    notes: [
      `Cold provision as in table 1, on two fresh \`pi\` hosts (Debian bookworm arm64 under qemu-user emulation, user \`pi\`). Throughput as in table 4 for uWSGI only, on the last run's stack host after its cold deploy.`,
      "Everything inside the host is emulated — apt, pip, uWSGI, nginx and wrk alike — so only the ratios mean something.",
      loadNote(load, runs),
    ],
  };
}
