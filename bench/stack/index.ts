// The root stack program, unchanged: benchmarks measure `pulumi up` of exactly what users run.
export * from "../../index";
