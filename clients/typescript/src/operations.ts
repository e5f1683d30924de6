/**
 * The operations of graphql/queries/ by name, for callers that send a document by its name (the
 * dashboard's `run(name, variables)` in app/web/api.js, typed through JSDoc). Derived from the
 * generated documents, so a regenerated client updates these types by itself.
 */
import type { ResultOf, TypedDocumentNode, VariablesOf } from "@graphql-typed-document-node/core";

type Documents = typeof import("./generated/graphql.js");

/** "ApiKey", "CreateApiKey", …: every generated `<Name>Document`. */
export type OperationName = {
  [K in keyof Documents]: K extends `${infer Name}Document` ? (Documents[K] extends TypedDocumentNode<any, any> ? Name : never) : never;
}[keyof Documents];

export type DocumentFor<N extends OperationName> = Documents[`${N}Document`];
export type ResultFor<N extends OperationName> = ResultOf<DocumentFor<N>>;
export type VariablesFor<N extends OperationName> = VariablesOf<DocumentFor<N>>;
/** A mutation's `input` variable and its payload (`{…, errors}`). */
export type InputFor<N extends OperationName> = VariablesFor<N> extends { input: infer Input } ? Input : never;
export type PayloadFor<N extends OperationName> = ResultFor<N>[keyof ResultFor<N>];
