/** Shared inputs for the pure-layer tests. */
import { AppContext, HostFacts, ResolveContext, resolveAppContext } from "../../components/config";

/** A 2-core, 4 GiB Debian 12 VM: defaultWorkerCount → 2. */
export const VM_FACTS: HostFacts = {
  arch: "x86_64",
  cores: 2,
  memoryMb: 4096,
  osId: "debian",
  osVersionId: "12",
  initSystem: "systemd",
  pythonVersion: "3.11.2",
};

/** The app "app" with entry pkg.wsgi:app and all default paths. */
export const APP: AppContext = resolveAppContext({ name: "app", entry: "pkg.wsgi:app" });

export const CTX: ResolveContext = { app: APP, facts: VM_FACTS };

/** The same app with an app factory entry. */
export const FACTORY_CTX: ResolveContext = { app: resolveAppContext({ name: "app", entry: "manage:create_app()" }), facts: VM_FACTS };

/** Deep-freeze args so a resolver that mutates them throws. */
export function frozen<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const v of Object.values(value)) {
      frozen(v);
    }
    Object.freeze(value);
  }
  return value;
}

/** The message of the error `fn` throws (fails the test when it does not throw). */
export function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected an error, none was thrown");
}
