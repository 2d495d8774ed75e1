/** tmpfiles.d renderer: one `d` line (create the directory, fix owner and mode) per runtime directory. */
import { RuntimeDir } from "../config/tmpfiles";
import { MANAGED_HEADER } from "./header";

/** Render `/etc/tmpfiles.d/<app>.conf`. Paths and names are validated: no quoting or `%` escaping needed. */
export function renderTmpfilesD(dirs: readonly RuntimeDir[]): string {
  const lines = dirs.map((d) => {
    if (/[\s%\\"']/.test(d.path)) {
      throw new Error(`cannot write ${JSON.stringify(d.path)} in tmpfiles.d unquoted`);
    }
    return `d ${d.path} ${d.mode.toString(8).padStart(4, "0")} ${d.user} ${d.group} -`;
  });
  return [MANAGED_HEADER, ...lines, ""].join("\n");
}
