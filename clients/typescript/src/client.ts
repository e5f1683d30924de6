/**
 * A minimal typed GraphQL client over fetch: `request(CreateApiKeyDocument, { input })` checks the
 * variables and types the result from the generated TypedDocumentNode, so a stale document or a
 * misspelt field is a compile error, not a runtime surprise.
 */
import { print } from "graphql";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";

/** A top-level GraphQL error or a non-200 answer: malformed request, missing auth, server down. */
export class KeyplaneRequestError extends Error {
  constructor(message: string, readonly status: number, readonly body: unknown) {
    super(message);
    this.name = "KeyplaneRequestError";
  }
}

type VariablesArgument<TVariables> = Record<string, never> extends TVariables ? [variables?: TVariables] : [variables: TVariables];

export interface KeyplaneClient {
  request<TResult, TVariables>(document: TypedDocumentNode<TResult, TVariables>, ...variables: VariablesArgument<TVariables>): Promise<TResult>;
}

/** `url` is the server's GraphQL endpoint (`https://keyplane.example/graphql`); `token` a management token (kpm_…). */
export function createClient(url: string, token: string, fetchImpl: typeof fetch = fetch): KeyplaneClient {
  return {
    async request<TResult, TVariables>(document: TypedDocumentNode<TResult, TVariables>, ...variables: VariablesArgument<TVariables>): Promise<TResult> {
      const response = await fetchImpl(url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: print(document), variables: variables[0] ?? {} }),
      });
      const body: unknown = await response.json().catch(() => null);
      const result = body as { data?: TResult | null; errors?: { message: string }[] } | null;
      if (!response.ok || result === null || result.errors?.length || result.data == null) {
        const message = result?.errors?.map((error) => error.message).join("; ") || `HTTP ${response.status}`;
        throw new KeyplaneRequestError(message, response.status, body);
      }
      return result.data;
    },
  };
}
