"""Validate recorded HTTP exchanges against Google's discovery documents.

The documents are the ones shipped in the installed google-api-python-client
(``googleapiclient/discovery_cache/documents/compute.v1.json`` and
``storage.v1.json``). An exchange is one line of ``sortie serve
--record-exchanges FILE``::

    {"method": "POST", "path": "/compute/v1/projects/p/global/images",
     "query": {"requestId": "..."}, "requestBody": {...} | null,
     "status": 200, "responseBody": {...} | null}

``DiscoveryValidator.validate_exchange`` maps the exchange to its discovery
method (``compute.images.insert``), validates the request body against the
method's ``request`` schema and the response body against its ``response``
schema, and returns a list of human-readable problems (empty = conforms).

What is checked:
  * the path matches a method's ``flatPath``/``path`` under the service root
    (``/compute/v1/``, ``/storage/v1/``), or a media path
    (``/upload/storage/v1/...`` for methods with ``mediaUpload``,
    ``/download/storage/v1/...`` for methods with ``supportsMediaDownload``),
    and the HTTP method is that method's;
  * bodies: ``$ref`` resolved; types string/integer/number/boolean/array/
    object/any; ``format: int64/uint64`` values are JSON *strings* holding
    integers in range (in requests a JSON number is tolerated, as Google's
    servers accept both, unless ``strict_requests``); int32/uint32 ranges;
    ``enum`` values; ``pattern`` (full match); date-time/date/byte formats;
    ``kind`` equal to its schema default; JSON nulls in responses; and fields
    the schema does not declare ("unknown field");
  * for accepted (2xx) requests only: path parameters against their
    ``pattern``, query parameters declared by the method or the API (plus
    ``upload_id`` on upload paths), their types and enums, required query
    parameters present, and the request body (a request the server refused
    is allowed to be bad; that is usually the point of the test that sent
    it);
  * error responses (status >= 400, except 499 for a cancelled upload
    session) have GCE's error shape: ``{"error": {"code": <status>,
    "message": str, "errors": [{"reason": str, "message": str,
    "domain": str, ...}], ...}}``.
Media bodies (``alt=media`` downloads, upload chunks) are recorded as null and
not checked.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Iterable

__all__ = [
    "DiscoveryValidator",
    "MethodMatch",
    "discovery_documents_dir",
    "load_exchanges",
    "validate_exchanges",
]

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
UINT64_MAX = 2**64 - 1
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
UINT32_MAX = 2**32 - 1

_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DURATION = re.compile(r"^-?\d+(\.\d+)?s$")
_INT_STRING = re.compile(r"^-?\d+$")
_UINT_STRING = re.compile(r"^\d+$")

# Query parameters that a media upload session URL carries besides the
# method's own (the resumable protocol's session id).
_UPLOAD_SESSION_PARAMS = {"upload_id"}


def discovery_documents_dir() -> str:
    """The discovery documents folder inside the installed google-api-python-client."""
    import googleapiclient

    return os.path.join(
        os.path.dirname(googleapiclient.__file__), "discovery_cache", "documents"
    )


@dataclass
class MethodMatch:
    """An exchange's discovery method."""

    api: str  # "compute" | "storage"
    method_id: str  # "compute.images.insert"
    method: dict  # the discovery method description
    path_params: dict  # name -> decoded value
    variant: str  # "api" | "upload" | "download"
    template: str  # the matched template, relative to the service root


@dataclass
class _Route:
    api: str
    http_method: str
    variant: str
    prefix: str  # "/compute/v1/", "/upload/storage/v1/", ...
    template: str
    regex_strict: re.Pattern
    regex_loose: re.Pattern
    names: list
    literal_len: int
    method_id: str
    method: dict = field(repr=False)


def _template_regexes(template: str):
    names = []
    strict, loose = [], []
    pos = 0
    literal_len = 0
    for m in re.finditer(r"\{(\+?)([^}]+)\}", template):
        lit = template[pos : m.start()]
        literal_len += len(lit)
        strict.append(re.escape(lit))
        loose.append(re.escape(lit))
        names.append(m.group(2))
        if m.group(1):  # {+name}: reserved expansion, may contain '/'
            strict.append("(.+?)")
            loose.append("(.+?)")
        else:
            strict.append("([^/]+)")
            # A server may record the decoded path, where a storage object
            # name ("dir/file") contains '/': only those variables may.
            loose.append("(.+?)" if m.group(2).lower().endswith("object") else "([^/]+)")
        pos = m.end()
    lit = template[pos:]
    literal_len += len(lit)
    strict.append(re.escape(lit))
    loose.append(re.escape(lit))
    return (
        re.compile("^" + "".join(strict) + "$"),
        re.compile("^" + "".join(loose) + "$"),
        names,
        literal_len,
    )


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {json.dumps(value)}"
    if isinstance(value, (int, float)):
        return f"number {json.dumps(value)}"
    if isinstance(value, str):
        s = value if len(value) <= 60 else value[:57] + "..."
        return f"string {json.dumps(s)}"
    if isinstance(value, list):
        return f"array of {len(value)}"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _query_items(query: Any) -> list:
    """(name, value) pairs from a recorded query: a dict of str or list, or a raw string."""
    if not query:
        return []
    if isinstance(query, str):
        return urllib.parse.parse_qsl(query.lstrip("?"), keep_blank_values=True)
    items = []
    for k, v in query.items():
        if isinstance(v, list):
            items.extend((k, x) for x in v)
        else:
            items.append((k, v))
    return items


class DiscoveryValidator:
    """Maps exchanges to discovery methods and validates their bodies."""

    def __init__(
        self,
        documents_dir: str | None = None,
        apis: Iterable[str] = ("compute.v1", "storage.v1"),
        strict_requests: bool = False,
    ):
        documents_dir = documents_dir or discovery_documents_dir()
        self.strict_requests = strict_requests
        self.docs: dict[str, dict] = {}
        self.routes: list[_Route] = []
        for api_version in apis:
            with open(os.path.join(documents_dir, f"{api_version}.json")) as f:
                doc = json.load(f)
            self.docs[self._key(doc)] = doc
            self._index(doc)

    @staticmethod
    def _key(doc: dict) -> str:
        # v1 and beta share a name ("compute"): each is checked against its own schemas.
        return doc["name"] if doc["version"] == "v1" else f'{doc["name"]}.{doc["version"]}'


    # ------------------------------------------------------------------
    # Path -> method
    # ------------------------------------------------------------------
    def _index(self, doc: dict) -> None:
        api = self._key(doc)
        service_root = "/" + doc["servicePath"]  # "/compute/v1/"

        def add(http_method, variant, prefix, template, mid, m):
            rs, rl, names, lit = _template_regexes(template)
            self.routes.append(
                _Route(api, http_method, variant, prefix, template, rs, rl, names, lit, mid, m)
            )

        def walk(resources):
            for res in resources.values():
                for m in res.get("methods", {}).values():
                    templates = {m["path"]}
                    if m.get("flatPath"):
                        templates.add(m["flatPath"])
                    for t in templates:
                        add(m["httpMethod"], "api", service_root, t, m["id"], m)
                    media = m.get("mediaUpload")
                    if media:
                        for proto in media.get("protocols", {}).values():
                            p = proto["path"]  # "/upload/storage/v1/b/{bucket}/o"
                            root, _, rest = p.partition(doc["servicePath"])
                            if not rest:
                                continue
                            add(m["httpMethod"], "upload", root + doc["servicePath"], rest, m["id"], m)
                    if m.get("supportsMediaDownload") and m["httpMethod"] == "GET":
                        for t in templates:
                            add("GET", "download", "/download" + service_root, t, m["id"], m)
                walk(res.get("resources", {}))

        walk(doc["resources"])

    def match(self, http_method: str, path: str, query: Any = None) -> tuple[MethodMatch | None, str | None]:
        """Returns (match, None) or (None, problem)."""
        path = urllib.parse.urlsplit(path).path if "?" in path else path
        http_method = http_method.upper()
        candidates = [r for r in self.routes if path.startswith(r.prefix)]
        if not candidates:
            return None, f"no discovery service root matches path {path}"
        qnames = {k for k, _ in _query_items(query)}
        for loose in (False, True):
            hits = []
            for r in candidates:
                rel = path[len(r.prefix):]
                mm = (r.regex_loose if loose else r.regex_strict).match(rel)
                if mm:
                    hits.append((r, mm))
            if not hits:
                continue
            with_method = [
                (r, mm)
                for r, mm in hits
                if r.http_method == http_method
                or (r.variant == "upload" and "upload_id" in qnames and http_method in ("PUT", "POST", "DELETE"))
            ]
            if not with_method:
                allowed = sorted({r.http_method for r, _ in hits})
                return None, (
                    f"{http_method} {path}: path matches {hits[0][0].method_id} "
                    f"but discovery allows only {', '.join(allowed)}"
                )
            # Most specific template wins: most literal characters, then fewest variables.
            r, mm = max(with_method, key=lambda h: (h[0].literal_len, -len(h[0].names)))
            params = {
                n: urllib.parse.unquote(v) for n, v in zip(r.names, mm.groups())
            }
            return MethodMatch(r.api, r.method_id, r.method, params, r.variant, r.template), None
        return None, f"no discovery method matches {http_method} {path}"

    # ------------------------------------------------------------------
    # Schemas
    # ------------------------------------------------------------------
    def schema(self, api: str, name: str) -> dict:
        return self.docs[api]["schemas"][name]

    def validate_body(self, api: str, schema: dict | str, value: Any, direction: str = "response", where: str = "$") -> list[str]:
        """Validate ``value`` against a schema (a schema dict or a schema name)."""
        if isinstance(schema, str):
            schema = {"$ref": schema}
        problems: list[str] = []
        self._check(api, schema, value, where, direction, problems, depth=0)
        return problems

    def _check(self, api, schema, value, where, direction, problems, depth):
        if depth > 64:
            problems.append(f"{where}: nesting too deep")
            return
        if "$ref" in schema:
            ref = schema["$ref"]
            try:
                target = self.docs[api]["schemas"][ref]
            except KeyError:
                problems.append(f"{where}: schema {ref!r} not found in {api} discovery document")
                return
            self._check(api, target, value, where, direction, problems, depth + 1)
            return
        if value is None:
            if direction == "response":
                problems.append(f"{where}: null (Google's APIs omit unset fields)")
            return
        typ = schema.get("type", "any")
        fmt = schema.get("format")
        if typ == "any":
            return
        if typ == "object":
            if not isinstance(value, dict):
                problems.append(f"{where}: expected object, got {_describe(value)}")
                return
            props = schema.get("properties")
            addl = schema.get("additionalProperties")
            if props is None and addl is None:
                return  # free-form object
            for k, v in value.items():
                sub = f"{where}.{k}"
                if props is not None and k in props:
                    if k == "kind" and "default" in props[k] and v != props[k]["default"]:
                        problems.append(
                            f"{sub}: expected {json.dumps(props[k]['default'])}, got {_describe(v)}"
                        )
                        continue
                    self._check(api, props[k], v, sub, direction, problems, depth + 1)
                elif isinstance(addl, dict):
                    self._check(api, addl, v, sub, direction, problems, depth + 1)
                else:
                    problems.append(f"{sub}: unknown field (not declared by the schema)")
            return
        if typ == "array":
            if not isinstance(value, list):
                problems.append(f"{where}: expected array, got {_describe(value)}")
                return
            items = schema.get("items", {})
            for i, v in enumerate(value):
                self._check(api, items, v, f"{where}[{i}]", direction, problems, depth + 1)
            return
        if typ == "boolean":
            if not isinstance(value, bool):
                problems.append(f"{where}: expected boolean, got {_describe(value)}")
            return
        if typ == "integer":
            if isinstance(value, bool) or not (
                isinstance(value, int) or (isinstance(value, float) and value.is_integer())
            ):
                problems.append(f"{where}: expected integer ({fmt or 'int'}) as a JSON number, got {_describe(value)}")
                return
            lo, hi = {
                "int32": (INT32_MIN, INT32_MAX),
                "uint32": (0, UINT32_MAX),
            }.get(fmt, (INT64_MIN, UINT64_MAX))
            if not lo <= int(value) <= hi:
                problems.append(f"{where}: {value} out of range for {fmt}")
            self._check_enum(schema, value, where, problems)
            return
        if typ == "number":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                if not (isinstance(value, str) and value in ("NaN", "Infinity", "-Infinity")):
                    problems.append(f"{where}: expected number, got {_describe(value)}")
            return
        if typ == "string":
            if fmt in ("int64", "uint64"):
                self._check_int64_string(value, fmt, where, direction, problems)
                return
            if not isinstance(value, str):
                problems.append(f"{where}: expected string, got {_describe(value)}")
                return
            self._check_enum(schema, value, where, problems)
            self._check_format(fmt, value, where, problems)
            pat = schema.get("pattern")
            if pat:
                try:
                    if not re.fullmatch(f"(?:{pat})", value):
                        problems.append(f"{where}: {_describe(value)} does not match pattern {pat}")
                except re.error:
                    pass
            return
        problems.append(f"{where}: schema has unsupported type {typ!r}")

    def _check_int64_string(self, value, fmt, where, direction, problems):
        if isinstance(value, int) and not isinstance(value, bool):
            if direction == "request" and not self.strict_requests:
                n = value
            else:
                problems.append(
                    f"{where}: expected a JSON string holding an {fmt}, got {_describe(value)}"
                )
                return
        elif isinstance(value, str):
            if not (_UINT_STRING if fmt == "uint64" else _INT_STRING).match(value):
                problems.append(f"{where}: expected a JSON string holding an {fmt}, got {_describe(value)}")
                return
            n = int(value)
        else:
            problems.append(f"{where}: expected a JSON string holding an {fmt}, got {_describe(value)}")
            return
        lo, hi = (0, UINT64_MAX) if fmt == "uint64" else (INT64_MIN, INT64_MAX)
        if not lo <= n <= hi:
            problems.append(f"{where}: {n} out of range for {fmt}")

    @staticmethod
    def _check_enum(schema, value, where, problems):
        enum = schema.get("enum")
        if enum is not None and value not in enum:
            shown = ", ".join(enum[:12]) + (", ..." if len(enum) > 12 else "")
            problems.append(f"{where}: {_describe(value)} is not one of the enum values [{shown}]")

    @staticmethod
    def _check_format(fmt, value, where, problems):
        if fmt in ("date-time", "google-datetime"):
            if not _RFC3339.match(value):
                problems.append(f"{where}: {_describe(value)} is not an RFC 3339 timestamp")
        elif fmt == "date":
            if not _DATE.match(value):
                problems.append(f"{where}: {_describe(value)} is not a date (YYYY-MM-DD)")
        elif fmt == "google-duration":
            if not _DURATION.match(value):
                problems.append(f"{where}: {_describe(value)} is not a duration like \"3.5s\"")
        elif fmt == "byte":
            try:
                padded = value + "=" * (-len(value) % 4)
                if re.search(r"[-_]", value):
                    base64.urlsafe_b64decode(padded.encode())
                else:
                    base64.b64decode(padded.encode(), validate=True)
            except (binascii.Error, ValueError):
                problems.append(f"{where}: {_describe(value)} is not base64")

    # ------------------------------------------------------------------
    # Parameters
    # ------------------------------------------------------------------
    def _check_param(self, name, spec, value, where, problems):
        typ = spec.get("type", "string")
        fmt = spec.get("format")
        if typ == "integer" or fmt in ("int64", "uint64", "int32", "uint32"):
            pat = _UINT_STRING if fmt in ("uint64", "uint32") else _INT_STRING
            if not pat.match(str(value)):
                problems.append(f"{where}: {_describe(value)} is not an integer ({fmt or typ})")
                return
            n = int(value)
            lo, hi = {
                "int32": (INT32_MIN, INT32_MAX),
                "uint32": (0, UINT32_MAX),
                "uint64": (0, UINT64_MAX),
            }.get(fmt, (INT64_MIN, INT64_MAX))
            if "minimum" in spec:
                lo = max(lo, int(spec["minimum"]))
            if "maximum" in spec:
                hi = min(hi, int(spec["maximum"]))
            if not lo <= n <= hi:
                problems.append(f"{where}: {n} outside [{lo}, {hi}]")
        elif typ == "boolean":
            if str(value).lower() not in ("true", "false"):
                problems.append(f"{where}: {_describe(value)} is not a boolean")
        if "enum" in spec and value not in spec["enum"]:
            problems.append(f"{where}: {_describe(value)} is not one of {spec['enum']}")
        pat = spec.get("pattern")
        if pat and spec.get("location") == "path":
            try:
                if not re.fullmatch(f"(?:{pat})", str(value)):
                    problems.append(f"{where}: {_describe(value)} does not match pattern {pat}")
            except re.error:
                pass

    # ------------------------------------------------------------------
    # Exchanges
    # ------------------------------------------------------------------
    def validate_exchange(self, ex: dict) -> list[str]:
        """Problems with one recorded exchange (empty list = conforms)."""
        for key in ("method", "path", "status"):
            if key not in ex:
                return [f"exchange lacks {key!r}: {json.dumps(ex)[:200]}"]
        method = str(ex["method"]).upper()
        raw_path = ex["path"]
        query = ex.get("query") or {}
        if isinstance(raw_path, str) and "?" in raw_path:
            raw_path, _, qs = raw_path.partition("?")
            query = query or qs
        status = ex["status"]
        label = f"{method} {raw_path} -> {status}"
        m, problem = self.match(method, raw_path, query)
        if m is None:
            return [f"{label}: {problem}"]
        label = f"{label} [{m.method_id}{'' if m.variant == 'api' else ' ' + m.variant}]"
        problems: list[str] = []
        qitems = _query_items(query)
        qdict = dict(qitems)
        upload_session = m.variant == "upload" and "upload_id" in qdict
        ok = isinstance(status, int) and 200 <= status < 300

        if ok:
            self._validate_request(m, qitems, qdict, ex, problems)

        # Response
        body = ex.get("responseBody")
        media_download = m.variant == "download" or qdict.get("alt") == "media"
        if not isinstance(status, int):
            problems.append(f"status is not an integer: {_describe(status)}")
        elif status >= 400 and not (upload_session and status == 499):
            problems.extend(f"error body: {p}" for p in self.validate_error_body(body, status))
        elif ok:
            resumable_initiate = (
                m.variant == "upload" and qdict.get("uploadType") == "resumable" and not upload_session
            )
            if media_download or resumable_initiate:
                pass
            elif "response" in m.method:
                if body is None:
                    if status != 204:
                        problems.append(f"response: no body; expected {m.method['response']['$ref']}")
                else:
                    problems.extend(
                        self.validate_body(m.api, m.method["response"], body, "response", "response")
                    )
            elif body not in (None, {}, ""):
                problems.append(f"response: the method returns no body, got {_describe(body)}")
        return [f"{label}: {p}" for p in problems]

    def _validate_request(self, m, qitems, qdict, ex, problems):
        api_params = self.docs[m.api].get("parameters", {})
        mparams = m.method.get("parameters", {})
        for name, value in m.path_params.items():
            spec = mparams.get(name)
            if spec:
                self._check_param(name, spec, value, f"path parameter {name}", problems)
        seen = set()
        for name, value in qitems:
            spec = mparams.get(name) or api_params.get(name)
            if spec is None:
                if m.variant == "upload" and name in _UPLOAD_SESSION_PARAMS:
                    continue
                problems.append(f"query parameter {name!r} is not declared by {m.method_id} or the API")
                continue
            if spec.get("location", "query") != "query":
                problems.append(f"query parameter {name!r} is a {spec['location']} parameter")
                continue
            if name in seen and not spec.get("repeated"):
                problems.append(f"query parameter {name!r} repeated")
            seen.add(name)
            self._check_param(name, spec, value, f"query parameter {name}", problems)
        upload_session = m.variant == "upload" and "upload_id" in qdict
        if not upload_session:
            for name, spec in mparams.items():
                if spec.get("location") == "query" and spec.get("required") and name not in qdict:
                    problems.append(f"required query parameter {name!r} missing but the request was accepted")
        body = ex.get("requestBody")
        if body is not None and not upload_session:
            if "request" in m.method:
                problems.extend(
                    self.validate_body(m.api, m.method["request"], body, "request", "request")
                )
            elif body not in ({}, ""):
                problems.append(f"request: {m.method_id} takes no body, got {_describe(body)}")

    @staticmethod
    def validate_error_body(body: Any, status: int) -> list[str]:
        """GCE/GCS error shape: {"error": {"code", "message", "errors": [{"reason", "message", "domain"}]}}."""
        if not isinstance(body, dict):
            return [f"expected a JSON error object, got {_describe(body)}"]
        problems = []
        extra = set(body) - {"error"}
        if extra:
            problems.append(f"unknown top-level fields {sorted(extra)}")
        err = body.get("error")
        if not isinstance(err, dict):
            return problems + [f"$.error: expected object, got {_describe(err)}"]
        allowed = {"code", "message", "errors", "status", "details"}
        for k in sorted(set(err) - allowed):
            problems.append(f"$.error.{k}: unknown field")
        if err.get("code") != status or isinstance(err.get("code"), bool):
            problems.append(f"$.error.code: expected {status}, got {_describe(err.get('code'))}")
        if not isinstance(err.get("message"), str) or not err.get("message"):
            problems.append(f"$.error.message: expected a non-empty string, got {_describe(err.get('message'))}")
        if "status" in err and not isinstance(err["status"], str):
            problems.append(f"$.error.status: expected string, got {_describe(err['status'])}")
        errors = err.get("errors")
        if not isinstance(errors, list) or not errors:
            problems.append(f"$.error.errors: expected a non-empty array, got {_describe(errors)}")
            return problems
        item_allowed = {"reason", "message", "domain", "location", "locationType", "extendedHelp", "sendReport", "debugInfo"}
        for i, e in enumerate(errors):
            w = f"$.error.errors[{i}]"
            if not isinstance(e, dict):
                problems.append(f"{w}: expected object, got {_describe(e)}")
                continue
            for k in ("reason", "message", "domain"):
                if not isinstance(e.get(k), str) or not e.get(k):
                    problems.append(f"{w}.{k}: expected a non-empty string, got {_describe(e.get(k))}")
            for k in sorted(set(e) - item_allowed):
                problems.append(f"{w}.{k}: unknown field")
        return problems


def load_exchanges(path: str) -> tuple[list[dict], list[str]]:
    """Exchanges from a JSON-lines file, and problems with unreadable lines."""
    exchanges, problems = [], []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                ex = json.loads(line)
            except json.JSONDecodeError as e:
                problems.append(f"{os.path.basename(path)}:{n}: not JSON ({e}): {line[:120]}")
                continue
            if not isinstance(ex, dict):
                problems.append(f"{os.path.basename(path)}:{n}: not a JSON object")
                continue
            exchanges.append(ex)
    return exchanges, problems


def validate_exchanges(exchanges: Iterable[dict], validator: DiscoveryValidator | None = None) -> list[str]:
    validator = validator or DiscoveryValidator()
    problems = []
    for i, ex in enumerate(exchanges, 1):
        problems.extend(f"#{i} {p}" for p in validator.validate_exchange(ex))
    return problems


if __name__ == "__main__":  # python3 discovery.py EXCHANGES.jsonl
    import sys

    v = DiscoveryValidator()
    total = []
    for p in sys.argv[1:]:
        exs, bad = load_exchanges(p)
        total += bad + validate_exchanges(exs, v)
    print("\n".join(total) or "no problems")
    sys.exit(1 if total else 0)
