/** Pure renderers: resolved settings → file text (or argv). No @pulumi import, no I/O. */
export * from "./header";
export * from "./nginxSyntax";
export * from "./nginx";
export * from "./uwsgi";
export * from "./gunicorn";
export * from "./waitress";
export * from "./supervisor";
export * from "./tmpfiles";
export * from "./envLoader";
