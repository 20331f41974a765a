"""Conventions of the OpenAPI schema (drf-spectacular) that hold for every operation.

drf-spectacular documents the success answer of each operation only; DRF's error answers
are the same everywhere, so they are documented here once, by a postprocessing hook, for
every operation they can come from (schemathesis in CI checks that every status code an
operation answers is documented):

- 400 Bad Request: operations taking a body or query parameters (a validation error: an
  object of field → messages, or a list of messages);
- 401 Unauthorized: every operation (a malformed, unknown, expired or revoked token is
  refused before the view runs, even where anonymous access is allowed);
- 403 Forbidden: every operation (a role without the right, or a session without its
  CSRF token);
- 404 Not Found: operations with a path parameter (an unknown or invisible row) and pages
  of a cursor-paginated list (DRF answers an invalid cursor with 404);
- 429 Too Many Requests: every operation (the API's rate throttles, the login lockout).
"""

from __future__ import annotations

ERROR = {
    "type": "object",
    "description": "an error that concerns the whole request",
    "properties": {"detail": {"type": "string", "description": "why the request was refused"}},
    "required": ["detail"],
}
VALIDATION_ERRORS = {
    "description": "what is wrong with the request: per field (and non_field_errors) a list of messages, or a list of messages",
    "anyOf": [{"type": "object", "additionalProperties": {}}, {"type": "array", "items": {}}],
}

DESCRIPTIONS = {
    "400": "the request's body or parameters are invalid",
    "401": "the credentials are missing, malformed, unknown, expired or revoked",
    "403": "this actor may not do this (or the session's CSRF token is missing)",
    "404": "no such row, or not one this actor may see",
    "429": "too many requests (rate limit) or too many failed logins; retry later",
}


def document_error_responses(result, generator, request, public):
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR)
    schemas.setdefault("ValidationErrors", VALIDATION_ERRORS)
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            parameters = operation.get("parameters", [])
            codes = ["401", "403", "429"]
            if operation.get("requestBody") or any(p.get("in") == "query" for p in parameters):
                codes.append("400")
            if any(p.get("in") == "path" or (p.get("in"), p.get("name")) == ("query", "cursor") for p in parameters):
                codes.append("404")
            # An error a view declares itself (extend_schema(responses={404: OpenApiResponse(…)}))
            # gets the shared body too.
            codes += [code for code, response in responses.items() if code.startswith("4") and "content" not in response]
            for code in sorted(set(codes)):
                schema = "ValidationErrors" if code == "400" else "Error"
                response = responses.setdefault(code, {"description": DESCRIPTIONS.get(code, "")})
                response.setdefault("content", {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}})
    return result
