/**
 * Install the real tools the renderer tests use (idempotent): `npx ts-node test/unit/tools/install.ts`.
 */
import { ensureNginx, ensureOpenssl, ensurePythonTools, ensureSystemdAnalyze } from "./tools";

const python = ensurePythonTools();
console.log(`python tools: ${python.venv}`);
console.log(`nginx: ${ensureNginx()}`);
console.log(`openssl: ${ensureOpenssl()}`);
console.log(`systemd-analyze: ${ensureSystemdAnalyze()}`);
