#!/usr/bin/env python3
"""A moto server for the end-to-end tests, with Lambda layers made to behave as CloudFormation does.

Usage: moto-launcher.py [--stock]  (binds 127.0.0.1 on a free port; --stock: no patches, to show
                                    what stock moto does)
       moto-launcher.py --self-check
Prints one line `moto-launcher: listening on http://127.0.0.1:<port> pid=<pid>` once the socket
accepts connections, then serves until SIGTERM/SIGINT.

moto 5.2.5 gets six things wrong that the layer tests depend on: five in its CloudFormation
emulation, one in the download locations of the Lambda API. Each patch below restores the
documented AWS behaviour and nothing more:

1. AWS::Lambda::LayerVersion ignores `LayerName` and names the layer `<stack>-<logicalId>-<random>`.
   SAM gives each layer version a new logical id (a hash of its content location), so every
   deploy would create a new *layer* at version 1 and no version number would ever grow.
   Fix: use `LayerName` when the template sets it (and keep CompatibleArchitectures).
2. `!Ref` to an AWS::Lambda::LayerVersion must give the layer version ARN. moto's LayerVersion
   has no `physical_resource_id`, so the Ref resolves to the Python object itself, and a function
   update that passes it to the Lambda backend fails with HTTP 500.
   Fix: `physical_resource_id` returns the version ARN.
3. AWS::Lambda::Function drops `Layers` (and `Architectures`) on create, and keeps stale layers on
   update when the property disappears.
   Fix: after moto creates/updates the function, set its layers from the template's `Layers`.
4. moto ignores AWS::Serverless::* resources: a SAM template "deploys" and creates nothing.
   Fix: when a template declares `Transform: AWS::Serverless-2016-10-31`, the stack and change set
   models run aws-sam-translator on it (offline; region from AWS_DEFAULT_REGION), as CloudFormation
   runs the SAM transform. The stack keeps the original template, so `get-template` returns the
   packaged SAM template as CloudFormation's "Original" stage does; `sam deploy` works unchanged.
5. On a stack update moto keeps a removed resource in the stack's memory, so a later update that
   adds the same logical id again gets the old object back instead of a new one. SAM names a
   layer version after a hash of its content location, so redeploying an earlier packaged
   template (a rollback) re-adds an old logical id: CloudFormation then creates the resource
   again, i.e. publishes a new layer version (the retained old version is not reused); moto
   silently reused the old version.
   Fix: a resource removed by an update is forgotten by the stack, as in CloudFormation
   (a `DeletionPolicy: Retain` one before moto's delete pass, so it is kept, the rest after it).

6. Not CloudFormation, but the Lambda API the function runner (test/support/lambda-runner.ts)
   reads: `get-function` answers a `Code.Location` on amazonaws.com and `get-layer-version` a
   `Content.Location` of "s3://", so a function's code and a layer's content cannot be downloaded
   back as Lambda allows (a presigned URL to Lambda's own copy, valid for ten minutes).
   Fix: both answer a URL on this server, /moto-launcher/code/<token>, that serves the exact bytes
   the function or layer version was created from (moto keeps them in memory).

Everything else (S3, CloudFormation stacks and change sets, the rest of the Lambda API the tests
read back) is stock moto. Check `python moto-launcher.py --self-check` after upgrading moto: it fails when
the patched functions moved, so a silent no-op patch cannot hide a regression.
"""

from __future__ import annotations

import copy
import os
import signal
import sys
import uuid
from typing import Any, Callable, Iterable

from moto.awslambda import models as lambda_models
from moto.cloudformation import models as cfn_models
from moto.cloudformation import parsing as cfn_parsing
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from samtranslator.translator.transform import transform as sam_transform
from werkzeug.serving import make_server

LayerVersion = lambda_models.LayerVersion
LambdaFunction = lambda_models.LambdaFunction


def _layer_version_from_cloudformation(
    cls: type, resource_name: str, cloudformation_json: dict[str, Any],
    account_id: str, region_name: str, **kwargs: Any,
) -> Any:
    properties = cloudformation_json["Properties"]
    spec: dict[str, Any] = {
        "Content": properties["Content"],
        # Patch 1: the template's LayerName, as CloudFormation does; moto's generated name otherwise.
        "LayerName": properties.get("LayerName", resource_name),
    }
    for prop in ("Description", "CompatibleRuntimes", "CompatibleArchitectures", "LicenseInfo"):
        if prop in properties:
            spec[prop] = properties[prop]
    return lambda_models.get_backend(account_id, region_name).publish_layer_version(spec)


def _layer_version_physical_resource_id(self: Any) -> str:
    # Patch 2: Ref of a LayerVersion is its version ARN.
    return self.arn


_original_function_create = LambdaFunction.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]
_original_function_update = LambdaFunction.update_from_cloudformation_json.__func__  # type: ignore[attr-defined]


def _apply_layers(fn: Any, properties: dict[str, Any]) -> None:
    # Patch 3: the function uses exactly the layers its template names (none when absent).
    fn.layers = fn._get_layers_data(properties.get("Layers", []))


def _function_from_cloudformation(
    cls: type, resource_name: str, cloudformation_json: dict[str, Any],
    account_id: str, region_name: str, **kwargs: Any,
) -> Any:
    properties = cloudformation_json["Properties"]
    fn = _original_function_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    _apply_layers(fn, properties)
    if "Architectures" in properties:
        fn.architectures = properties["Architectures"]
    return fn


def _function_update_from_cloudformation(
    cls: type, original_resource: Any, new_resource_name: str, cloudformation_json: dict[str, Any],
    account_id: str, region_name: str,
) -> Any:
    fn = _original_function_update(
        cls, original_resource=original_resource, new_resource_name=new_resource_name,
        cloudformation_json=cloudformation_json, account_id=account_id, region_name=region_name,
    )
    _apply_layers(fn, cloudformation_json["Properties"])
    return fn


SAM_TRANSFORM = "AWS::Serverless-2016-10-31"


class _NoManagedPolicyLookups:
    """The SAM transform only asks for this map when a function names managed policies by name."""

    def load(self) -> dict[str, str]:
        raise ValueError("moto-launcher: the SAM transform cannot look up managed policies by name offline")


def _expand_sam(template: dict[str, Any]) -> dict[str, Any]:
    transforms = template.get("Transform") if isinstance(template, dict) else None
    names = transforms if isinstance(transforms, list) else [transforms]
    if SAM_TRANSFORM not in names:
        return template
    # The translator mutates its input; the stack keeps its own copy of the original.
    return sam_transform(copy.deepcopy(template), {}, _NoManagedPolicyLookups())  # type: ignore[arg-type]


_original_stack_parse = cfn_models.Stack.parse_template
_original_change_set_parse = cfn_models.ChangeSet._parse_template


def _stack_parse_template(template: str) -> dict[str, Any]:
    # Patch 4: stacks see the SAM-transformed resources.
    return _expand_sam(_original_stack_parse(template))


def _change_set_parse_template(self: Any) -> None:
    _original_change_set_parse(self)
    self.template_dict = _expand_sam(self.template_dict)


_original_resource_map_update = cfn_parsing.ResourceMap.update


def _resource_map_update(self: Any, template: dict[str, Any], parameters: dict[str, Any] | None = None) -> None:
    # Patch 5: resources removed by this update leave the stack.
    removed = [name for name in self._resource_json_map if name not in template["Resources"]]
    for name in removed:
        if self._resource_json_map[name].get("DeletionPolicy") == "Retain":
            self._parsed_resources.pop(name, None)
    _original_resource_map_update(self, template, parameters)
    for name in removed:
        self._parsed_resources.pop(name, None)


_DOWNLOAD_PREFIX = "/moto-launcher/code/"
# token -> the moto object whose `code_bytes` the URL serves; tokens are never reused.
_downloads: dict[str, Any] = {}


def _download_url(owner: Any) -> str:
    token = uuid.uuid4().hex
    _downloads[token] = owner
    return f"http://127.0.0.1:{os.environ['MOTO_PORT']}{_DOWNLOAD_PREFIX}{token}"


_original_function_get_code = LambdaFunction.get_code
_original_layer_get_version = LayerVersion.get_layer_version


def _function_get_code(self: Any) -> dict[str, Any]:
    # Patch 6: a Code.Location that serves this function's code.
    response = _original_function_get_code(self)
    if "ImageUri" not in self.code:  # moto gives none at all for code uploaded as ZipFile
        response["Code"] = {"Location": _download_url(self), "RepositoryType": "S3"}
    return response


def _layer_get_version(self: Any) -> dict[str, Any]:
    # Patch 6: a Content.Location that serves this layer version's zip.
    response = _original_layer_get_version(self)
    response["Content"]["Location"] = _download_url(self)
    return response


class _CodeDownloads:
    """WSGI wrapper: GET /moto-launcher/code/<token> answers the bytes; everything else goes to moto."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(_DOWNLOAD_PREFIX):
            return self.app(environ, start_response)
        owner = _downloads.get(path[len(_DOWNLOAD_PREFIX):])
        if owner is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"moto-launcher: no such code download\n"]
        body: bytes = owner.code_bytes
        start_response("200 OK", [("Content-Type", "application/zip"), ("Content-Length", str(len(body)))])
        return [body]


def apply_patches() -> None:
    LambdaFunction.get_code = _function_get_code  # type: ignore[method-assign]
    LayerVersion.get_layer_version = _layer_get_version  # type: ignore[method-assign]
    cfn_parsing.ResourceMap.update = _resource_map_update  # type: ignore[method-assign]
    cfn_models.Stack.parse_template = staticmethod(_stack_parse_template)  # type: ignore[method-assign,assignment]
    cfn_models.ChangeSet._parse_template = _change_set_parse_template  # type: ignore[method-assign]
    LayerVersion.create_from_cloudformation_json = classmethod(_layer_version_from_cloudformation)  # type: ignore[method-assign,assignment]
    LayerVersion.physical_resource_id = property(_layer_version_physical_resource_id)  # type: ignore[attr-defined]
    LambdaFunction.create_from_cloudformation_json = classmethod(_function_from_cloudformation)  # type: ignore[method-assign,assignment]
    LambdaFunction.update_from_cloudformation_json = classmethod(_function_update_from_cloudformation)  # type: ignore[method-assign,assignment]


def self_check() -> None:
    """The patched code paths still exist with the shapes the patches assume."""
    import inspect

    create_src = inspect.getsource(_original_function_create)
    update_src = inspect.getsource(_original_function_update)
    assert '"Layers"' not in create_src, "moto now copies Layers itself: patch 3 may be obsolete"
    assert "update_configuration" in update_src, "moto's function update changed: review patch 3"
    assert not hasattr(LayerVersion, "physical_resource_id"), "moto now resolves Ref of a LayerVersion: review patch 2"
    assert '"LayerName": resource_name' in inspect.getsource(
        LayerVersion.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]
    ), "moto's LayerVersion naming changed: review patch 1"
    assert "yaml.load" in inspect.getsource(_original_change_set_parse), "moto's change set parsing changed: review patch 4"
    assert "template_dict = self.parse_template" in inspect.getsource(
        cfn_models.Stack._parse_template
    ), "moto's stack parsing changed: review patch 4"
    update_src = inspect.getsource(_original_resource_map_update)
    assert "_parsed_resources.pop" not in update_src, "moto now forgets removed resources: review patch 5"
    assert '"Remove"' in update_src and "_delete_resource" in update_src, "moto's stack update changed: review patch 5"
    assert "awslambda-" in inspect.getsource(_original_function_get_code), "moto's get_code changed: review patch 6"
    assert '"Location": "s3://"' in inspect.getsource(_original_layer_get_version), (
        "moto's layer Content.Location changed: review patch 6"
    )
    assert hasattr(lambda_models, "_zipfile_content"), "moto no longer keeps code bytes: review patch 6"
    print("moto-launcher: self-check ok")


def serve(patched: bool) -> None:
    # The SAM transform needs a region for pseudo parameters and ARNs; the harness sets it.
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    if patched:
        apply_patches()
    app: Any = DomainDispatcherApplication(create_backend_app)
    if patched:
        app = _CodeDownloads(app)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    port = server.server_address[1]
    # moto builds some URLs from MOTO_PORT (default 5000); keep them pointing at this server.
    os.environ["MOTO_PORT"] = str(port)

    def stop(signum: int, frame: Any) -> None:
        # shutdown() waits for serve_forever() to return, which runs in this thread: exit instead.
        server.server_close()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"moto-launcher: listening on http://127.0.0.1:{port} pid={os.getpid()}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    if sys.argv[1:] == ["--self-check"]:
        self_check()
    elif sys.argv[1:] in ([], ["--stock"]):
        serve(patched=not sys.argv[1:])
    else:
        sys.exit(f"moto-launcher: unknown arguments {sys.argv[1:]}; usage: moto-launcher.py [--stock | --self-check]")
