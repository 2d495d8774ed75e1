/** flaskstack: Pulumi components that put a Flask (WSGI) app into production over SSH. */
export * from "./host";
export * from "./flaskApp";
export { WSGI_SERVER_PINS, WsgiServerName } from "./config/pins";
export * from "./uwsgiService";
export * from "./gunicornService";
export * from "./waitressService";
export * from "./supervisorProgram";
export * from "./nginxSite";
export * from "./packages";
export * from "./localSandbox";
export * from "./sshKeyPair";
export type { WsgiService } from "./wsgiService";
export * as config from "./config";
export * as render from "./render";
export { shellQuote, shellCommand } from "./quote";
