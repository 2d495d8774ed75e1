export * from "./connection";
export * from "./hostFacts";
export * from "./managedFile";
export * from "./packageSet";
export * from "./serviceAction";
export * from "./serverState";
export * from "./release";
export * from "./ownership";
