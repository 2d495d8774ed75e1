/** Path helpers shared by the resolvers (paths here are validated absolute POSIX paths). */

/** Parent directory of an absolute path: `/var/log/app/x.log` → `/var/log/app`, `/x` → `/`. */
export function parentDir(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}
