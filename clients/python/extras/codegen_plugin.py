"""An ariadne-codegen plugin (used by clients/generate, not shipped in the package): input
models take their Python names (``project_id=``) under any type checker.

ariadne-codegen writes ``project_id: str = Field(alias="projectId")``. Type checkers read
``alias`` as the constructor's parameter name, so plain mypy and pyright would demand
``CreateApiKeyInput(projectId=...)``. Input models are only built by callers and sent, never
parsed, so the GraphQL name is needed for sending only: ``serialization_alias`` says exactly
that (the client dumps them ``by_alias``) and leaves the constructor with the Python names."""
from __future__ import annotations

import ast

from ariadne_codegen.plugins.base import Plugin


class PythonNamedInputsPlugin(Plugin):
    def generate_input_field(self, field_implementation: ast.AnnAssign, input_field, field_name: str) -> ast.AnnAssign:
        call = field_implementation.value
        if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "Field":
            for keyword in call.keywords:
                if keyword.arg == "alias":
                    keyword.arg = "serialization_alias"
        return field_implementation
