import { appRuntimeDir, ArgumentError, resolveRuntimeDirs } from "../../../components/config";
import { renderTmpfilesD } from "../../../components/render";
import { APP, errorOf } from "../fixtures";

describe("renderTmpfilesD", () => {
  it("GIVEN the app's run dir WHEN rendered THEN tmpfiles.d creates it for the app user and nginx's group", () => {
    expect(renderTmpfilesD(resolveRuntimeDirs([appRuntimeDir(APP)]))).toBe(
      "# Managed by flaskstack — changes here are overwritten\nd /run/app 0750 app www-data -\n",
    );
  });

  it("GIVEN several dirs and a mode WHEN rendered THEN there is one line each", () => {
    const text = renderTmpfilesD(
      resolveRuntimeDirs([
        { path: "/run/a", user: "a", group: "a", mode: 0o2775 },
        { path: "/run/b", user: "b", group: "nginx" },
      ]),
    );
    expect(text.split("\n").slice(1)).toEqual(["d /run/a 2775 a a -", "d /run/b 0750 b nginx -", ""]);
  });

  it("GIVEN a relative path and a bad group WHEN resolved THEN both are reported", () => {
    const error = errorOf(() => resolveRuntimeDirs([{ path: "run/a", user: "a", group: "www data" }])) as ArgumentError;
    expect(error.problems.map((p) => p.argument)).toEqual(["runtimeDirs[0].path", "runtimeDirs[0].group"]);
  });
});
