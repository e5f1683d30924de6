// GraphiQL on keyplane's own /graphql. Every file it needs is served by keyplane (vendor/), so it
// works without internet access. Add the header {"Authorization": "Bearer kpm_…"} in the Headers
// tab. GraphiQL's state (tabs, their headers, history) is kept in this browser tab's
// sessionStorage, like the dashboard's token: never in localStorage, gone when the tab closes.
/* global React, ReactDOM, GraphiQL */
const fetcher = GraphiQL.createFetcher({ url: new URL("/graphql", window.location.href).href });
ReactDOM.createRoot(document.getElementById("graphiql")).render(
  React.createElement(GraphiQL, {
    fetcher,
    storage: window.sessionStorage,
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: false,
    defaultEditorToolsVisibility: "headers",
  }),
);
