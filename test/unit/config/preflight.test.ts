import { HostFacts, normalizeProjectName, preflightProblems, requirementName, withoutAptProjects } from "../../../components/config";

const PI3: HostFacts = {
  arch: "armv7l",
  cores: 4,
  memoryMb: 926,
  osId: "raspbian",
  osVersionId: "12",
  initSystem: "systemd",
  pythonVersion: "3.11.2",
  diskFreeMb: 5000,
};

describe("preflightProblems", () => {
  it("GIVEN a Pi 3 on Raspberry Pi OS bookworm WHEN checked THEN nothing stops it", () => {
    expect(preflightProblems(PI3)).toEqual([]);
  });

  it.each<[string, Partial<HostFacts>, RegExp]>([
    ["an ARMv5 board", { arch: "armv5tel" }, /architecture armv5tel is not supported/],
    ["Python 3.7 (Raspberry Pi OS buster)", { pythonVersion: "3.7.3" }, /python3 on the host is 3\.7\.3; flaskstack needs 3\.9/],
    ["a nearly full SD card", { diskFreeMb: 120 }, /only 120 MiB free on \//],
    ["a Pi Zero with 180 MiB", { memoryMb: 180 }, /only 180 MiB of memory/],
    ["a container without systemd", { initSystem: "other" }, /does not run systemd/],
  ])("GIVEN %s WHEN checked THEN the problem says why", (_, change, message) => {
    const problems = preflightProblems({ ...PI3, ...change });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  it("GIVEN no python3 yet WHEN checked THEN that is fine: the package set installs it", () => {
    const { pythonVersion: _, ...facts } = PI3;
    expect(preflightProblems(facts)).toEqual([]);
  });
});

describe("requirements taken from apt", () => {
  it.each([
    ["Flask==3.1.2", "flask"],
    ["Flask_SQLAlchemy>=3", "flask-sqlalchemy"],
    ["  numpy ; platform_machine == 'armv7l'", "numpy"],
    ["# a comment", undefined],
    ["--extra-index-url https://example.org/simple", undefined],
    ["", undefined],
  ])("requirementName(%j) is %j", (line, name) => {
    expect(requirementName(line)).toBe(name);
  });

  it("GIVEN numpy from apt WHEN filtering THEN only its line goes, whatever its spelling", () => {
    const r = withoutAptProjects("Flask==3.1.2\nNumPy==1.26.4\npillow\n", ["numpy"]);
    expect(r.text).toBe("Flask==3.1.2\npillow\n");
    expect(r.removed).toEqual(["numpy"]);
  });

  it("normalizes names as PEP 503 does", () => {
    expect(normalizeProjectName("Zope.Interface__x")).toBe("zope-interface-x");
  });
});
