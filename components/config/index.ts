/** Resolve + validate: pure functions from component arguments to fully resolved settings. */
export * from "./errors";
export * from "./validate";
export * from "./entry";
export * from "./facts";
export * from "./listener";
export * from "./paths";
export * from "./app";
export * from "./uwsgi";
export * from "./gunicorn";
export * from "./waitress";
export * from "./supervisor";
export * from "./nginx";
export * from "./systemd";
export * from "./tmpfiles";
export * from "./preflight";
export * from "./sandbox";
