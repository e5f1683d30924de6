// GraphiQL on keyplane's own /graphql. Every file it needs is served by keyplane (vendor/), so it
// works without internet access. Add the header {"Authorization": "Bearer kpm_…"} in the Headers
// tab; it is kept in memory only (never in localStorage).
/* global React, ReactDOM, GraphiQL */
const fetcher = GraphiQL.createFetcher({ url: new URL("/graphql", window.location.href).href });
ReactDOM.createRoot(document.getElementById("graphiql")).render(
  React.createElement(GraphiQL, {
    fetcher,
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: false,
    defaultEditorToolsVisibility: "headers",
  }),
);
