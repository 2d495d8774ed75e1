import * as pulumi from "@pulumi/pulumi";
import { ArgumentError } from "./config";

/** Turns a validation error into a ResourceError that points at the component. */
export function resourceError(e: unknown, resource: pulumi.Resource): Error {
  if (e instanceof ArgumentError) return new pulumi.ResourceError(e.message, resource);
  return e instanceof Error ? e : new Error(String(e));
}

/** What `resolve` returns (a component's settings), a validation error turned into a ResourceError of `resource`. */
export function resolvedFor<T>(resource: pulumi.Resource, resolve: () => T): T {
  try {
    return resolve();
  } catch (e) {
    throw resourceError(e, resource);
  }
}
