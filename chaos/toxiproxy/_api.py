"""The Toxiproxy HTTP API: routes, body decoding, and answers.

Status codes, messages and the order of checks follow the Go server
(see the project's toxiproxy-api.md): 201 for proxy create and populate,
200 for toxic create and every update, 204 for deletes and reset, errors in
the `{"error", "status"}` envelope, and plain `404 page not found` for paths
that no route knows.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable

from ._collection import PopulateError, ProxyCollection, ProxySpec
from ._errors import ApiError
from ._gojson import BOOL, FLOAT32, OBJECT, STRING, DecodeError, Pairs, decode_fields, dumps, json_kind, parse_body
from ._http import Request, Response
from ._toxics import ATTRIBUTES, DOWNSTREAM, STREAMS, STRUCT_NAMES, attribute_fields

VERSION = "2.12.0"

_PROXY_FIELDS = {"name": STRING, "listen": STRING, "upstream": STRING, "enabled": BOOL}
_TOXIC_FIELDS = {"name": STRING, "type": STRING, "stream": STRING, "toxicity": FLOAT32, "attributes": OBJECT}
_TOXIC_UPDATE_FIELDS = {"attributes": OBJECT, "toxicity": FLOAT32}
_JSON = "application/json"
_TEXT = "text/plain; charset=utf-8"

Params = dict[str, str]
RouteHandler = Callable[[Request, Params], Awaitable[Response]]


def _answer(status: int, value: object) -> Response:
    return Response(status, dumps(value), _JSON)


def _error(error: ApiError) -> Response:
    return Response(error.status, dumps({"error": error.message, "status": error.status}) + b"\n", _JSON)


def _decode(body: bytes, fields: dict[str, str], *, struct_name: str) -> dict[str, object]:
    try:
        return decode_fields(parse_body(body), fields, struct_name=struct_name)
    except DecodeError as exc:
        raise ApiError(400, f"bad request body: {exc}") from None


class Api:
    """Answers one API request at a time against a ProxyCollection."""

    def __init__(self, collection: ProxyCollection) -> None:
        self.collection = collection
        self._routes: list[tuple[tuple[str, ...], dict[str, RouteHandler]]] = [
            (("version",), {"GET": self._version}),
            (("reset",), {"POST": self._reset}),
            (("populate",), {"POST": self._populate}),
            (("proxies",), {"GET": self._proxy_index, "POST": self._proxy_create}),
            (
                ("proxies", "{proxy}"),
                {"GET": self._proxy_show, "POST": self._proxy_update, "PATCH": self._proxy_update, "DELETE": self._proxy_delete},
            ),
            (("proxies", "{proxy}", "toxics"), {"GET": self._toxic_index, "POST": self._toxic_create}),
            (
                ("proxies", "{proxy}", "toxics", "{toxic}"),
                {"GET": self._toxic_show, "POST": self._toxic_update, "PATCH": self._toxic_update, "DELETE": self._toxic_delete},
            ),
        ]

    async def __call__(self, request: Request) -> Response:
        matched = self._match(request.path)
        if matched is None:
            return Response(404, b"404 page not found\n", _TEXT)
        methods, params = matched
        handler = methods.get(request.method)
        if handler is None:
            return Response(405)
        request_id = [("X-Toxiproxy-Request-Id", secrets.token_hex(10))]
        if request.headers.get("user-agent", "").startswith("Mozilla/"):
            # Go refuses browsers, so a web page cannot drive the API by CSRF.
            return Response(403, b"User agent not allowed\n", _TEXT, request_id)
        try:
            response = await handler(request, params)
        except ApiError as exc:
            response = _error(exc)
        response.headers.extend(request_id)
        return response

    def _match(self, path: str) -> tuple[dict[str, RouteHandler], Params] | None:
        if not path.startswith("/"):
            return None
        segments = path[1:].split("/")
        for pattern, methods in self._routes:
            if len(pattern) != len(segments):
                continue
            params: Params = {}
            for want, got in zip(pattern, segments):
                if want.startswith("{"):
                    if not got:
                        break
                    params[want[1:-1]] = got
                elif want != got:
                    break
            else:
                return methods, params
        return None

    # -- server-wide -------------------------------------------------------

    async def _version(self, request: Request, params: Params) -> Response:
        body = ('{"version": "%s"}\n' % VERSION).encode("utf-8")
        return Response(200, body, "application/json;charset=utf-8")

    async def _reset(self, request: Request, params: Params) -> Response:
        await self.collection.reset()
        return Response(204)

    async def _populate(self, request: Request, params: Params) -> Response:
        try:
            specs = populate_specs(request.body)
        except ApiError as exc:
            return _answer(exc.status, {"error": exc.message, "status": exc.status, "proxies": None})
        try:
            proxies = await self.collection.populate(specs)
        except PopulateError as exc:
            listed = [proxy.to_json() for proxy in exc.done]
            return _answer(exc.status, {"error": exc.message, "status": exc.status, "proxies": listed})
        # Go answers null, not [], for an empty list; clients accept both.
        return _answer(201, {"proxies": [proxy.to_json() for proxy in proxies] or None})

    # -- proxies -----------------------------------------------------------

    async def _proxy_index(self, request: Request, params: Params) -> Response:
        proxies = self.collection.proxies
        return _answer(200, {name: proxies[name].to_json() for name in sorted(proxies)})

    async def _proxy_create(self, request: Request, params: Params) -> Response:
        entry = _decode(request.body, _PROXY_FIELDS, struct_name="toxiproxy.Proxy")
        proxy = await self.collection.create(_proxy_spec(entry, where=""))
        return _answer(201, proxy.to_json())

    async def _proxy_show(self, request: Request, params: Params) -> Response:
        return _answer(200, self.collection.get(params["proxy"]).to_json())

    async def _proxy_update(self, request: Request, params: Params) -> Response:
        proxy = self.collection.get(params["proxy"])
        entry = _decode(request.body, _PROXY_FIELDS, struct_name="toxiproxy.Proxy")
        await self.collection.update(
            proxy,
            listen=str(entry.get("listen", proxy.listen)),
            upstream=str(entry.get("upstream", proxy.upstream)),
            enabled=bool(entry.get("enabled", proxy.enabled)),
        )
        return _answer(200, proxy.to_json())

    async def _proxy_delete(self, request: Request, params: Params) -> Response:
        await self.collection.delete(params["proxy"])
        return Response(204)

    # -- toxics ------------------------------------------------------------

    async def _toxic_index(self, request: Request, params: Params) -> Response:
        proxy = self.collection.get(params["proxy"])
        return _answer(200, [toxic.to_json() for toxic in proxy.toxics()])

    async def _toxic_create(self, request: Request, params: Params) -> Response:
        proxy = self.collection.get(params["proxy"])
        wrapper = _decode(request.body, _TOXIC_FIELDS, struct_name="toxics.ToxicWrapper")
        stream = str(wrapper.get("stream", DOWNSTREAM)).lower()
        if stream not in STREAMS:
            raise ApiError(400, "stream was invalid, can be either upstream or downstream")
        toxic_type = str(wrapper.get("type", ""))
        name = str(wrapper.get("name", "")) or f"{toxic_type}_{stream}"
        if toxic_type not in ATTRIBUTES:
            raise ApiError(400, "invalid toxic type")
        if proxy.find_toxic(name) is not None:
            raise ApiError(409, "toxic already exists")
        attributes = _attributes(wrapper.get("attributes"), toxic_type)
        toxicity = wrapper.get("toxicity", 1.0)
        assert isinstance(toxicity, float | int)
        toxic = await self.collection.add_toxic(
            proxy, name=name, toxic_type=toxic_type, stream=stream, toxicity=float(toxicity), attributes=attributes
        )
        return _answer(200, toxic.to_json())

    async def _toxic_show(self, request: Request, params: Params) -> Response:
        proxy = self.collection.get(params["proxy"])
        return _answer(200, self.collection.get_toxic(proxy, params["toxic"]).to_json())

    async def _toxic_update(self, request: Request, params: Params) -> Response:
        proxy = self.collection.get(params["proxy"])
        toxic = self.collection.get_toxic(proxy, params["toxic"])
        fields = _decode(request.body, _TOXIC_UPDATE_FIELDS, struct_name="toxics.ToxicWrapper")
        attributes = _attributes(fields.get("attributes"), toxic.type)
        toxicity = fields.get("toxicity")
        await self.collection.update_toxic(
            proxy, toxic, attributes=attributes, toxicity=None if toxicity is None else float(toxicity)  # type: ignore[arg-type]
        )
        return _answer(200, toxic.to_json())

    async def _toxic_delete(self, request: Request, params: Params) -> Response:
        proxy = self.collection.get(params["proxy"])
        toxic = self.collection.get_toxic(proxy, params["toxic"])
        await self.collection.remove_toxic(proxy, toxic)
        return Response(204)


def populate_specs(body: bytes) -> list[ProxySpec]:
    """The proxies of a /populate body, all validated before any is created."""
    try:
        value = parse_body(body)
        if value is None:
            return []
        if not isinstance(value, list) or isinstance(value, Pairs):
            raise DecodeError(f"json: cannot unmarshal {json_kind(value)} into Go value of type []toxiproxy.Proxy")
        entries = [decode_fields(item, _PROXY_FIELDS, struct_name="toxiproxy.Proxy") for item in value]
    except DecodeError as exc:
        raise ApiError(400, f"bad request body: {exc}") from None
    return [_proxy_spec(entry, where=f" at proxy {number}") for number, entry in enumerate(entries, start=1)]


def _proxy_spec(entry: dict[str, object], *, where: str) -> ProxySpec:
    name, upstream = str(entry.get("name", "")), str(entry.get("upstream", ""))
    if not name:
        raise ApiError(400, f"missing required field: name{where}")
    if not upstream:
        raise ApiError(400, f"missing required field: upstream{where}")
    return ProxySpec(name=name, listen=str(entry.get("listen", "")), upstream=upstream, enabled=bool(entry.get("enabled", True)))


def _attributes(value: object, toxic_type: str) -> dict[str, int]:
    try:
        found = decode_fields(value, attribute_fields(toxic_type), struct_name=STRUCT_NAMES[toxic_type])
    except DecodeError as exc:
        raise ApiError(400, f"bad request body: {exc}") from None
    return {name: int(number) for name, number in found.items()}  # type: ignore[call-overload]
