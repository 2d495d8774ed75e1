/**
 * The Python packages flaskstack installs into an app's venv, pinned so every host runs the same
 * version, and the versions the renderer tests check configs with (test/unit/tools): one list, so
 * what is tested is what is deployed. Pure: no `@pulumi` import.
 */

/** WSGI servers FlaskApp can install into the venv. A change names a new venv (its hash covers the pins). */
export const WSGI_SERVER_PINS = {
  // 27.0.1: 0 failed requests per HUP under load in the rollout tests (bench/ROLLOUTS.md).
  gunicorn: "gunicorn==27.0.1",
  waitress: "waitress==3.0.2",
  // 2.0.31: threaded workers stop without pthread_cancel (since 2.0.25), and a graceful reload no
  // longer waits for each worker with a blocking waitpid (2.0.28–2.0.30; unbit/uwsgi#2743).
  uwsgi: "uWSGI==2.0.31",
} as const;
export type WsgiServerName = keyof typeof WSGI_SERVER_PINS;

/** Tools the renderer tests also run, beside the servers: supervisor (apt on hosts) and nginx's parser. */
export const TEST_ONLY_PYTHON_PINS = ["supervisor==4.3.0", "crossplane==0.5.8"] as const;
