"""Output types, one module per aggregate: ``keys`` (a key, its limits, period and rules),
``projects`` (projects and the organization), ``usage`` (records and summaries), ``catalog``
(models and offers). Relay's Node and PageInfo are in schema/relay.py, webhooks in
schema/webhooks.py, the audit log in schema/audit.py.

Plain fields are filled when a type is built from its row (sync); only the fields that need
I/O are async, and those go through the request's DataLoaders (schema/context.py)."""
