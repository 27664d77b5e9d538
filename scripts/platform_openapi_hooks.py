"""schemathesis hooks for scripts/check-platform-openapi.sh: an operator request (`/api/`)
carries the admin's bearer token of LAMBDA_BEARER_TOKEN; every other generated request is
signed with `Lambda-Signature` as an endpoint does (docs/security.md, "Signatures"), so the
reference platform, which refuses unsigned endpoint requests, reaches its routes' own
checks. Signed over the request as `requests` prepared it (its path and query, its body
bytes), with the throw-away endpoint's uuid and secret read from LAMBDA_SIGNING_CONFIG's
lambda-settings.yml; nothing here prints them."""

import hashlib
import hmac
import os
import re
import secrets
import string
import time

import requests.auth
import schemathesis


def _setting(text, key):
    match = re.search(r"^%s: *\"?([^\"\n]*)\"?$" % re.escape(key), text, re.M)
    return match.group(1) if match else ""


_settings = open(os.path.join(os.environ["LAMBDA_SIGNING_CONFIG"], "lambda-settings.yml")).read()
_uuid = _setting(_settings, "endpoint-uuid").lower()
_key = _setting(_settings, "secret").encode()
_alphabet = string.ascii_letters + string.digits


_bearer = os.environ.get("LAMBDA_BEARER_TOKEN", "")


class LambdaSignature(requests.auth.AuthBase):
    def __call__(self, request):
        if request.path_url.startswith("/api/"):
            # The operator API: an admin's bearer token in place of the endpoint's values.
            request.headers["Authorization"] = "Bearer " + _bearer
            request.headers.pop("Lambda-Signature", None)
            return request
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        now = int(time.time())
        nonce = "".join(secrets.choice(_alphabet) for _ in range(32))
        message = "\n".join(
            ["request", _uuid, request.method, request.path_url, str(now), nonce, hashlib.sha256(body).hexdigest()]
        )
        mac = hmac.new(_key, message.encode(), hashlib.sha256).hexdigest()
        request.headers["Lambda-Signature"] = "t=%d, n=%s, s=%s" % (now, nonce, mac)
        return request


@schemathesis.hook
def before_call(context, case, kwargs):
    kwargs["auth"] = LambdaSignature()
