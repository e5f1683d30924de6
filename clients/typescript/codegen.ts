// graphql-codegen: the operation types and one TypedDocumentNode per document in
// graphql/queries/ (+ graphql/fragments/). Regenerate with `clients/generate`.
// typescript-operations (v5 and later) emits the enums and input types the operations use by
// itself; the separate `typescript` plugin would define them a second time.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "../../graphql/schema.graphql",
  documents: ["../../graphql/queries/*.graphql", "../../graphql/fragments/*.graphql"],
  generates: {
    "src/generated/graphql.ts": {
      plugins: ["typescript-operations", "typed-document-node"],
      config: {
        // exact money and instants travel as strings: never JavaScript numbers
        scalars: { Decimal: "string", DateTime: "string" },
        enumType: "const",
        useTypeImports: true,
        strictScalars: true,
        avoidOptionals: { field: true, inputValue: false, object: false, defaultValue: false },
      },
    },
  },
};

export default config;
