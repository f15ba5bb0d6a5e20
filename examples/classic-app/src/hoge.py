"""hoge: answers with the version of the shared `requests` library it finds in the layer."""
import json

import requests


def handler(event, context):
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"function": "hoge", "requests": requests.__version__}),
    }
