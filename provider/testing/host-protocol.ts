/**
 * The gRPC side of Pulumi's provider protocol, loaded exactly as the dynamic-provider host loads
 * it (from @pulumi/pulumi's own dependencies), and the errors a call answers with.
 */
import { createRequire } from "node:module";
import type * as grpcTypes from "@grpc/grpc-js";

// gRPC and protobuf exactly as the host loads them: resolved from @pulumi/pulumi, not hoisting luck.
export const pulumiRequire = createRequire(require.resolve("@pulumi/pulumi"));
export const grpc: typeof grpcTypes = pulumiRequire("@grpc/grpc-js");
// biome-ignore lint/suspicious/noExplicitAny: generated protobuf modules ship loose types
export const { Struct }: any = pulumiRequire("google-protobuf/google/protobuf/struct_pb");
export type Struct = { toJavaScript(): unknown };
// biome-ignore lint/suspicious/noExplicitAny: generated protobuf modules ship loose types
export const proto: any = pulumiRequire("./proto/provider_pb");
// biome-ignore lint/suspicious/noExplicitAny: generated gRPC client
export const services: any = pulumiRequire("./proto/provider_grpc_pb");
// biome-ignore lint/suspicious/noExplicitAny: generated protobuf modules ship loose types
const statusProto: any = pulumiRequire("./proto/status_pb");

/** What a create or update that failed left in the state: the host's ErrorResourceInitFailed detail. */
export interface InitFailure {
  message: string;
  id: string;
  properties: Record<string, unknown>;
  reasons: string[];
}

/** A gRPC error from Create/Update, with the ErrorResourceInitFailed detail when present. */
export class HostError extends Error {
  override name = "HostError";
  constructor(
    message: string,
    readonly initFailure: InitFailure | undefined,
  ) {
    super(message);
  }
}

/** The ErrorResourceInitFailed detail of a gRPC error, when the host sent one (a create or update that left a resource behind). */
export function initFailureOf(error: grpcTypes.ServiceError): InitFailure | undefined {
  const raw = error.metadata?.get("grpc-status-details-bin")[0];
  if (!raw) return undefined;
  const status = statusProto.Status.deserializeBinary(new Uint8Array(raw as Buffer));
  for (const any of status.getDetailsList()) {
    if (!String(any.getTypeUrl()).endsWith("pulumirpc.ErrorResourceInitFailed")) continue;
    const detail = proto.ErrorResourceInitFailed.deserializeBinary(any.getValue_asU8());
    return {
      message: status.getMessage(),
      id: detail.getId(),
      properties: detail.getProperties()?.toJavaScript() ?? {},
      reasons: detail.getReasonsList(),
    };
  }
  return undefined;
}
