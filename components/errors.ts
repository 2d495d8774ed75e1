import * as pulumi from "@pulumi/pulumi";
import { ArgumentError } from "./config";

/** Turns a validation error into a ResourceError that points at the component. */
export function resourceError(e: unknown, resource: pulumi.Resource): Error {
  if (e instanceof ArgumentError) return new pulumi.ResourceError(e.message, resource);
  return e instanceof Error ? e : new Error(String(e));
}
