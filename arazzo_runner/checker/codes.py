"""Every diagnostic code ``check`` can report: its default severity, a title and what it means.

Codes are stable: a code is never reused for another finding. ARZ001-ARZ027
come from the loader (``load()`` raises on the errors among them); ARZ100 and
above are found only by ``check``. ``docs/check.md`` lists them with examples.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CODES", "Code", "code_info"]


@dataclass(frozen=True)
class Code:
    code: str
    severity: str  # the default; a few codes say when it differs
    title: str
    help: str


def _codes(*items: tuple[str, str, str, str]) -> dict[str, Code]:
    return {c: Code(c, s, t, h) for c, s, t, h in items}


CODES: dict[str, Code] = _codes(
    # -- from the loader ------------------------------------------------------
    ("ARZ001", "error", "arazzo-version", "'arazzo' is missing, not a string, or not a 1.0.x or 1.1.x version"),
    ("ARZ002", "error", "missing-field", "a required field or list entry is missing"),
    ("ARZ003", "error", "invalid-value", "a value has the wrong type, breaks an enum or a pattern, or is out of range"),
    (
        "ARZ004",
        "warning",
        "unknown-field",
        "a field that is neither defined nor an x- extension (an error with --strict)",
    ),
    ("ARZ005", "error", "duplicate", "a duplicate name, id, parameter, action or list entry"),
    ("ARZ006", "warning", "name-pattern", "a name or id does not match [A-Za-z0-9_-]+ (SHOULD)"),
    ("ARZ007", "error", "inputs-schema", "a workflow's inputs are not a valid JSON Schema 2020-12"),
    ("ARZ008", "error", "step-target", "a step needs exactly one of operationId, operationPath, workflowId"),
    ("ARZ009", "error", "body-on-workflow-step", "a workflowId step has a requestBody"),
    ("ARZ010", "error", "unreadable", "a document or source description cannot be read or parsed"),
    ("ARZ011", "error", "operation-id", "an operationId does not resolve to exactly one operation"),
    ("ARZ012", "error", "operation-id-unqualified", "a bare operationId with several OpenAPI sources"),
    ("ARZ013", "error", "operation-path", "an operationPath does not point to an operation (a warning when lenient)"),
    ("ARZ014", "error", "workflow-reference", "a workflowId or dependsOn entry names no workflow"),
    ("ARZ015", "error", "action-step", "an action's stepId is not a step of the workflow"),
    ("ARZ016", "error", "depends-on-cycle", "dependsOn entries form a cycle"),
    (
        "ARZ017",
        "error",
        "unknown-step",
        "$steps.<id> names no step of the current workflow (a child's steps are out of scope)",
    ),
    (
        "ARZ018",
        "warning",
        "undeclared-step-output",
        "$steps.<id>.outputs.<name> names an output the step does not declare",
    ),
    (
        "ARZ019",
        "warning",
        "expression-lookalike",
        "a whole string looks like a runtime expression but does not parse, so it is literal text "
        "(an error with --strict)",
    ),
    ("ARZ020", "error", "expression-syntax", "a runtime expression or {$...} template does not parse"),
    ("ARZ021", "error", "criterion", "a criterion is invalid: condition syntax, regex, JSONPath, XPath, type/context"),
    ("ARZ022", "error", "component-reference", "a Reusable Object or $ref names no component of the right kind"),
    ("ARZ023", "warning", "reusable-value-ignored", "'value' on an action reference is ignored"),
    ("ARZ024", "warning", "target-on-end", "stepId/workflowId on an end action is ignored"),
    (
        "ARZ025",
        "warning",
        "criterion-lenient",
        "a criterion was accepted leniently (Goessner JSONPath, braces, type without context)",
    ),
    ("ARZ026", "warning", "body-on-get", "a request body on GET, HEAD or DELETE"),
    ("ARZ027", "warning", "empty-success-criteria", "an empty successCriteria list is treated as absent"),
    # -- structure and style, found by check ---------------------------------
    (
        "ARZ100",
        "warning",
        "reserved-extension",
        "an extension name uses a prefix reserved by the OAI (x-oai-, x-oas-, x-arazzo)",
    ),
    ("ARZ101", "warning", "prefer-operation-id", "operationPath targets an operation that has an operationId (STEP-8)"),
    (
        "ARZ102",
        "warning",
        "literal-looks-like-expression",
        "text that looks like a runtime expression is sent literally (missing { })",
    ),
    ("ARZ103", "warning", "form-field-without-equals", "a form-urlencoded string payload has a field with no '='"),
    (
        "ARZ104",
        "warning",
        "jsonpath-filter-on-object",
        "a root JSONPath filter $[?...] tests the members of an object context, not the object",
    ),
    (
        "ARZ105",
        "warning",
        "http-expression-on-workflow-step",
        "$statusCode/$response/$request on a workflowId step is not portable (DEC-52)",
    ),
    (
        "ARZ106",
        "info",
        "outputs-in-workflow-step",
        "$outputs in a workflowId step reads the called workflow's outputs (DEC-14; not portable)",
    ),
    (
        "ARZ107",
        "info",
        "reusable-value-not-string",
        "a Reusable Object 'value' that is not a string (the field table says string; accepted)",
    ),
    # -- references ----------------------------------------------------------
    ("ARZ110", "error", "step-not-run-yet", "$steps.<id> is read where that step cannot have run yet on any path"),
    ("ARZ111", "warning", "unreachable-step", "no path of the workflow reaches this step"),
    ("ARZ112", "error", "undeclared-input", "$inputs.<name> is not declared in the workflow's inputs schema"),
    (
        "ARZ113",
        "error",
        "workflow-expression",
        "$workflows.<id> names no workflow, or an input/output it does not declare",
    ),
    (
        "ARZ114",
        "error",
        "outputs-expression",
        "$outputs.<name> outside workflow outputs and workflowId steps, or undeclared",
    ),
    (
        "ARZ115",
        "error",
        "expression-out-of-place",
        "an expression that has no value where it is used ($response in a parameter, ...)",
    ),
    ("ARZ116", "error", "unknown-component-or-source", "$components.* or $sourceDescriptions.* names nothing"),
    # -- against the API -----------------------------------------------------
    ("ARZ120", "warning", "undeclared-parameter", "the operation does not declare this parameter"),
    ("ARZ121", "error", "missing-parameter", "a required parameter is not supplied (a warning for header and cookie)"),
    ("ARZ122", "error", "parameter-location", "'in' contradicts where the operation declares the parameter"),
    ("ARZ123", "error", "literal-type", "a literal value has a type the schema does not allow"),
    (
        "ARZ124",
        "error",
        "payload-key-forbidden",
        "a payload key the request schema does not allow (additionalProperties: false)",
    ),
    ("ARZ125", "warning", "payload-key-undeclared", "a payload key the request schema does not declare"),
    ("ARZ126", "error", "payload-required-missing", "a required request body field is missing"),
    ("ARZ127", "warning", "content-type", "the requestBody contentType is not one the operation accepts"),
    ("ARZ128", "error", "request-body-missing", "the operation requires a request body and the step sends none"),
    ("ARZ129", "warning", "request-body-unexpected", "a request body for an operation that declares none"),
    ("ARZ130", "error", "response-pointer", "a $response.body pointer that no accepted response schema can satisfy"),
    (
        "ARZ131",
        "warning",
        "response-pointer-partial",
        "a $response.body pointer that only some accepted responses can satisfy",
    ),
    ("ARZ132", "warning", "request-expression", "$request.<part>.<name> names a parameter the step does not send"),
    (
        "ARZ133",
        "warning",
        "credential-read",
        "an expression reads a header carrying the credential of an authenticated request",
    ),
    # -- Arazzo 1.1 (docs/arazzo-1.1.md), from the loader and check alike ----------------
    ("ARZ150", "error", "version-feature", "a 1.1 feature in a document that declares arazzo: 1.0.x"),
    ("ARZ151", "error", "selector", "an invalid Selector Object, Expression Type Object or selector type"),
    ("ARZ152", "error", "step-dependency", "a step dependsOn entry that is malformed, names no step, or forms a cycle"),
    ("ARZ153", "error", "forward-reference", "a step reads a later step's outputs in a workflow without dependsOn"),
    ("ARZ154", "error", "asyncapi-step", "AsyncAPI step fields used wrongly (action, channelPath, correlationId)"),
    ("ARZ156", "error", "self", "'$self' is not a URI reference or has a fragment"),
    ("ARZ157", "error", "action-parameters", "action parameters without a workflowId, or with 'in'"),
    ("ARZ158", "error", "step-timeout", "a step timeout that is not a whole number of milliseconds >= 0"),
    (
        "ARZ159",
        "warning",
        "asyncapi-not-executed",
        "an AsyncAPI step: it loads and is checked, a run reaching it fails",
    ),
)


def code_info(code: str) -> Code:
    return CODES.get(code) or Code(code, "error", "unknown", "")
