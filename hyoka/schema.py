"""What the OpenAPI schema says of every endpoint alike: the error answers.

Errors are answered as DRF and hyoka.api.exception_handler make them: {"detail": "..."} for a
refusal (403: not signed in, a bad token, or not allowed), a missing object (404) or a rule the
request breaks (400, a domain error), and {"field": ["message", ...]} for input that does not
validate (400). Session authentication comes first, so an anonymous request gets 403, not 401.
"""

ERROR = {
    "type": "object",
    "description": "\"detail\" says what went wrong; input that does not validate is answered instead with "
                   "the name of each field at fault and its messages.",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {"description": "A field's messages (a list, or an object for a field's parts)."},
}
ERROR_CONTENT = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}


def document_errors(result, generator, request, public):
    """A POSTPROCESSING_HOOKS entry: the Error component, given to every error answer an operation declares
    without a body, and the 400, 403 and 404 answers added where an operation can give them."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR
    for path, operations in result["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            for code, description in possible_errors(path, method, operation):
                responses.setdefault(code, {"description": description})
            for code, response in responses.items():
                if code.startswith("4") and "content" not in response:
                    response["content"] = ERROR_CONTENT
    return result


def possible_errors(path, method, operation):
    """(status code, description) of the errors an operation can answer."""
    errors = []
    if method != "get" or any(parameter["in"] == "query" for parameter in operation.get("parameters", [])):
        errors.append(("400", "The input does not validate, or the request breaks a rule (\"detail\" says which)."))
    if {} not in operation.get("security", [{}]):
        errors.append(("403", "Not signed in, an unknown token, or not allowed."))
    if "{" in path:
        errors.append(("404", "No such object among those you may see."))
    return errors
